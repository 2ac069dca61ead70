#!/usr/bin/env bash
# Refresh the message catalogue (the portal's pages and the player page) after changing
# texts (the portal, the player page, the accounts and packages areas), then compile it:
#   scripts/translations.sh        (translate new "msgstr" entries in
#                                   portal/translations/sv/LC_MESSAGES/messages.po, run again)
# The compiled messages.mo is committed, so `make setup` needs nothing from here.
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=.venv/bin/pybabel
$BABEL extract -F portal/babel.cfg -k N_ -o portal/translations/messages.pot portal player accounts packages
$BABEL update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
$BABEL compile -d portal/translations --statistics
