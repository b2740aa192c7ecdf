// A kept answer's JSON.
MATCH (a:Answer {answer_id: $answer_id})
RETURN a.payload AS payload
