__all__ = []  # package data only
