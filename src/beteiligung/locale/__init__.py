"""Gettext catalogs: ``messages.pot`` (template), ``<locale>/LC_MESSAGES/messages.po`` (in git).

The compiled ``.mo`` files are built by ``make catalogs``; ``python -m beteiligung.locale.extract``
refreshes the template and the ``.po`` files.
"""
