DROP TABLE rm_api_keys_v1;
DROP TABLE rm_chatbots_v1;
