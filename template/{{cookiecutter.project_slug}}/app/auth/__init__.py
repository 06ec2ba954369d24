"""Accounts and tokens: email and password, WeChat mini-program login, refresh rotation."""
