// Organisations within N hops of a listed (blacklisted) party, where one hop is a shared partnership:
// who works with a listed party, or with someone who does. One row per organisation and listed party,
// with the shortest chain (organisations and partnerships alternate in the path). Needs Neo4j 5.21+.
// @param max_hops: int in 1..5 = 2  hops through shared partnerships
// @param as_of: date = null  the date listings must be in force on [default: today]
WITH coalesce($as_of, toString(date())) AS day
MATCH ()-[l:LISTS]->(listed:Organization)
WHERE left(l.date, 10) <= day AND (l.until IS NULL OR left(l.until, 10) > day)
WITH DISTINCT listed
// one breadth-first search from each listed party (not one search per organisation)
MATCH p = ANY SHORTEST (listed)-[:MEMBER_OF]-{1,10}(o:Organization)
WHERE o <> listed AND length(p) <= 2 * $max_hops
RETURN o.id AS id,
       o.name AS name,
       listed.id AS listed_party,
       listed.name AS listed_name,
       length(p) / 2 AS hops,
       [n IN reverse(nodes(p)) | n.id] AS path
ORDER BY hops, id, listed_party
