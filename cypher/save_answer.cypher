// Keep an answer (its JSON) for its picture, and only the $keep most recent answers.
CREATE (:Answer {answer_id: $answer_id, payload: $payload, created_at: datetime()})
WITH 1 AS done
MATCH (a:Answer)
WITH a ORDER BY a.created_at DESC, a.answer_id
SKIP $keep
DETACH DELETE a
