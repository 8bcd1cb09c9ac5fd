"""Signing with USB tokens over PKCS#11: token discovery, certificate checks, PAdES signatures, stamps."""
