"""The answers of the insight endpoints, one module an analysis; views only parse the
parameters, call one of these and serialize what it returns."""
