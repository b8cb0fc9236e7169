"""CSV and XLSX exports of report tables."""
