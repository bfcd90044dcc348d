// Listings in force on a date: who is blacklisted, by whom, since when, until when and why. The lister
// is an organisation or an outside authority (an :Authority node, whose name is its id).
// @param as_of: date = null  the day to look at [default: today]
WITH coalesce($as_of, toString(date())) AS day
MATCH (lister)-[l:LISTS]->(o:Organization)
WHERE left(l.date, 10) <= day AND (l.until IS NULL OR left(l.until, 10) > day)
RETURN o.id AS id,
       o.name AS name,
       l.id AS listing,
       lister.id AS lister,
       lister.name AS lister_name,
       l.date AS date,
       l.until AS until,
       l.reason AS reason,
       l.source AS source
ORDER BY id, date, listing
