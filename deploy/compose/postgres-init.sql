-- Runs once, when the PostgreSQL volume is created: Dharma's own database next to Temporal's.
-- Temporal's auto-setup creates `temporal` and `temporal_visibility` itself.
CREATE USER dharma WITH PASSWORD 'dharma';
CREATE DATABASE dharma OWNER dharma;
