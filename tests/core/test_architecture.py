"""The core runs without Qt: import every non-UI module with PySide6 made unimportable."""

import pkgutil
import subprocess
import sys

import scanstation

CHECK = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('Qt is not allowed outside scanstation.ui: ' + name)
sys.meta_path.insert(0, Block())
import scanstation
for m in pkgutil.walk_packages(scanstation.__path__, 'scanstation.'):
    if m.name.startswith('scanstation.ui') or m.name == 'scanstation.__main__' or '.migrations' in m.name:
        continue
    importlib.import_module(m.name)
print('ok')
"""


def test_core_imports_without_qt():
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_every_non_ui_module_is_covered():
    names = [m.name for m in pkgutil.walk_packages(scanstation.__path__, "scanstation.")]
    assert {"scanstation.flow.session", "scanstation.flow.signing", "scanstation.audit"} <= set(names)
