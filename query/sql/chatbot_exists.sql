SELECT EXISTS (SELECT 1 FROM {chatbots} WHERE tenant_id = $1 AND id = $2)
