"""eservice: online administrative services of a city."""
