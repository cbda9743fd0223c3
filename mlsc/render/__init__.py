"""Results as text, pages and documents: terminal summaries (`text*`), standalone offline
HTML pages (`html` for lineage and blast radius, `reports`, sharing `page`), CycloneDX and
SARIF. Renderers return strings; they never print."""
