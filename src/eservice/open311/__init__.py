"""Open311 GeoReport v2 at /open311/v2: one more door to the catalogue and the requests.

This package only translates: the standard's names, formats (JSON and XML) and errors. Filing
goes through ``eservice.requests.service.file_request`` like the JSON API's; nothing here
decides who may do what.
"""
