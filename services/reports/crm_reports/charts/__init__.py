"""PNG and SVG charts with Chinese labels."""
