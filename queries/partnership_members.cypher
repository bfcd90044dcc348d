// Members of a partnership: each organisation with its role and the people who hold the relationship
// on its behalf.
// @param partnership: string  partnership id
MATCH (o:Organization)-[m:MEMBER_OF]->(p:Partnership {id: $partnership})
OPTIONAL MATCH (h:Person)-[:HOLDS]->(p)
WHERE (h)-[:WORKS_AT]->(o)
WITH o, m, h
ORDER BY h.id
RETURN o.id AS id,
       o.name AS name,
       m.role AS role,
       collect(h.id) AS holders,
       collect(h.name) AS holder_names
ORDER BY id
