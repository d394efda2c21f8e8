-- A projection's batch moves its checkpoint from where its consumer last
-- committed it to the batch's last position, as the first statement of the
-- batch itself: the batch and the move are one implicit transaction and one
-- round trip. When the row is no longer where the consumer left it (a
-- rebuild, a replay or another leader moved it), the call fails, the whole
-- batch with it, and the consumer reads the checkpoint again.
CREATE FUNCTION chatbot_advance_checkpoint(p_name text, p_from bigint, p_to bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE projection_checkpoints SET position = p_to, updated_at = now()
        WHERE name = p_name AND position = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'checkpoint of % is no longer at %', p_name, p_from
            USING ERRCODE = 'serialization_failure';
    END IF;
END
$$;
