// Referral paths to an organisation: chains of positive referrals (vouches) from one organisation to
// another, up to N hops (at most 5, GnuPG's default certification depth), strongest first. A chain's
// strength is the product of its referrals' strengths; each chain visits an organisation at most once.
// @param source: string  organisation id where the chains start (usually your own)
// @param target: string  organisation id the chains reach
// @param max_hops: int in 1..5 = 3  longest chain
// @param limit: int in 1..1000 = 10  how many chains
MATCH p = (s:Organization {id: $source})-[:REFERS*1..5]->(t:Organization {id: $target})
WHERE length(p) <= $max_hops
  AND all(r IN relationships(p) WHERE r.strength > 0)
  AND all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n))
WITH [n IN nodes(p) | n.id] AS path,
     [n IN nodes(p) | n.name] AS names,
     reduce(s = 1.0, r IN relationships(p) | s * r.strength) AS strength
// several referrals between the same two parties give the same chain: keep its strongest version
WITH path, names, max(strength) AS strength
RETURN path[-2] AS id,
       names[-2] AS name,
       size(path) - 1 AS hops,
       round(strength, 4) AS strength,
       path
ORDER BY strength DESC, hops, path
LIMIT $limit
