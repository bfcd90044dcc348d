// Top referrers: the organisations that vouch for others most often (positive referrals given), with
// their warnings (negative referrals) and mean strength.
// @param limit: int in 1..1000 = 10  how many organisations
MATCH (o:Organization)-[r:REFERS]->(:Organization)
WITH o,
     sum(CASE WHEN r.strength > 0 THEN 1 ELSE 0 END) AS vouches,
     sum(CASE WHEN r.strength < 0 THEN 1 ELSE 0 END) AS warnings,
     count(r) AS referrals,
     avg(r.strength) AS mean_strength
RETURN o.id AS id,
       o.name AS name,
       vouches,
       warnings,
       referrals,
       round(mean_strength, 4) AS mean_strength
ORDER BY vouches DESC, referrals DESC, id
LIMIT $limit
