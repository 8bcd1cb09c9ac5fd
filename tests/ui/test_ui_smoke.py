from scanstation.ui.i18n import set_language


def test_window_opens_on_home(make_window, qtbot):
    w = make_window()
    assert w.current_screen().key == "home"
    set_language("en")
