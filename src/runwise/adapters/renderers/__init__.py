"""Output renderers: text for terminals, markdown for assistants. JSON is the pydantic wire model."""
