"""The one door data leave by: disclosure control, labels and colours (numbers to text, the
palette, verdict colours), HTML and workbook/CSV/PDF export, formula and HTML neutralising,
progress display.
"""
