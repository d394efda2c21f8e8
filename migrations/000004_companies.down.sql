DROP TABLE IF EXISTS rm_companies_v1;
