"""The forms of the governance pages: they shape and label input; the services validate and save.

``base`` holds what they share: showing a service's ``ValidationError`` on the fields it names.
"""
