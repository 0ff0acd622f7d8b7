"""Linky télé-information client (TIC): historic and standard modes."""
