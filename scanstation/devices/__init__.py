"""Scanners behind one driver protocol: SANE, TWAIN (in a worker process) and a virtual scanner."""
