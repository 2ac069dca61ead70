#!/usr/bin/env bash
# Refresh the message catalogue (the portal's pages and the player page) after changing
# texts (the portal, the player page, the accounts and packages areas and the package
# checks' problems), then compile it.  N_ marks a text, NC_(context, text) one with a
# msgctxt (core/i18n.py):
#   scripts/translations.sh        (translate new "msgstr" entries in
#                                   portal/translations/sv/LC_MESSAGES/messages.po, run again)
# The compiled messages.mo is committed, so `make setup` needs nothing from here.
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=.venv/bin/pybabel
$BABEL extract -F portal/babel.cfg -k N_ -k NC_:1c,2 -o portal/translations/messages.pot portal player accounts packages
$BABEL update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
$BABEL compile -d portal/translations --statistics
