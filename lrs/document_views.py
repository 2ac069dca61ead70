"""Views for the document resources, activities, agents and about (being written)."""
