// Partnerships active on a date: started on or before it and not ended before it (an empty end means
// still running), with their members.
// @param date: date = null  the day to look at [default: today]
WITH coalesce($date, toString(date())) AS day
MATCH (p:Partnership)
WHERE p.start IS NOT NULL AND left(p.start, 10) <= day AND (p.`end` IS NULL OR left(p.`end`, 10) >= day)
OPTIONAL MATCH (o:Organization)-[:MEMBER_OF]->(p)
WITH p, o
ORDER BY o.id
RETURN p.id AS id,
       p.name AS name,
       p.kind AS kind,
       p.status AS status,
       p.start AS start,
       p.`end` AS `end`,
       collect(o.id) AS members
ORDER BY id
