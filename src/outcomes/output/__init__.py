"""The one door data leave by: disclosure control, HTML and workbook/CSV/PDF export, formula and
HTML neutralising, progress display.
"""
