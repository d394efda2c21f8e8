DROP FUNCTION IF EXISTS chatbot_advance_checkpoint(text, bigint, bigint);
