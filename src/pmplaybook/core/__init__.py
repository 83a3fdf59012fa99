"""The ground floor: the calendar, the SQL engines, statistics, formatting, argument checks and errors.
Nothing here knows about teams, params or frameworks."""
