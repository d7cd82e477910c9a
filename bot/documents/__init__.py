"""The files the bot makes for people to open: charts (``charts``), stand QR codes (``qr``), Excel
workbooks and CSV (``spreadsheet``), contact cards (``vcard``), the organisers' report
(``event_report``), the exhibitor import's report (``import_report``), and private files (``files``).

Plain computation over the domain's data: it may use the services' types and the i18n catalogs,
never Telegram (an import-linter contract in pyproject.toml)."""
