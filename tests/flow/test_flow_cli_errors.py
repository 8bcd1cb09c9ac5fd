"""Bad input and OS failures on the scriptable flow: one clear line, the right exit code, nothing half-written."""

from __future__ import annotations

import errno

from scanstation.cli import main


def test_an_os_error_in_build_or_scan_is_an_error_line_not_a_traceback(sample_session, monkeypatch, capsys):
    from scanstation.flow import capture, signing

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", "/station/work/x/out/a.pdf")

    def name_too_long(*a, **k):
        raise OSError(errno.ENAMETOOLONG, "File name too long", "/station/work/" + "x" * 300)

    monkeypatch.setattr(signing, "build", no_space)
    monkeypatch.setattr(capture, "scan", name_too_long)
    rc = main(["dossier", "build", sample_session.dossier.id])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: No space left on device") and "Traceback" not in err
    rc = main(["dossier", "scan", sample_session.dossier.id, "--component", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: File name too long") and "Traceback" not in err


def test_unknown_dossier_component_page_and_finding_are_named(sample_session, capsys):
    did = sample_session.dossier.id
    for argv, word in ((["dossier", "show", "NO-SUCH"], "NO-SUCH"),
                       (["dossier", "scan", did, "--component", "XYZ"], "XYZ"),
                       (["dossier", "exclude", did, "7", "--component", "1"], "'7'"),
                       (["dossier", "exclude", did, "7"], "--component"),
                       (["dossier", "override", did, "abc123", "--reason", "x"], "abc123"),
                       (["dossier", "resolve-event", did, "ev1", "--reason", "x"], "ev1"),
                       (["dossier", "scan", did, "--component", "1", "--sheets", "0"], "--sheets")):
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc == 2 and err.startswith("error:") and word in err, (argv, err)
