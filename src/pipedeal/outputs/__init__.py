"""What users read: the report JSON, terminal rendering, explanations, documents, OCF."""
