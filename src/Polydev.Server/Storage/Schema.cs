namespace Polydev.Server.Storage;

/// <summary>
/// The one schema definition. Table names follow V1 where it made sense (ARCHITECTURE.md,
/// "Storage") so a V1 operator can map data. Ids are UUID text, times are Unix milliseconds,
/// and every user-owned row cascades from <c>users</c> so deleting an account leaves nothing.
/// Append new migrations; never edit one that has shipped.
/// </summary>
public static class Schema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "accounts and vault", """
            CREATE TABLE server_secrets (
                name        TEXT PRIMARY KEY,
                value       {blob} NOT NULL,
                created_at  BIGINT NOT NULL
            );

            CREATE TABLE users (
                id                  TEXT PRIMARY KEY,
                email               TEXT NOT NULL UNIQUE,
                kdf_algorithm       TEXT NOT NULL,
                kdf_iterations      INTEGER NOT NULL,
                kdf_salt            {blob} NOT NULL,
                auth_key_hash       TEXT NOT NULL,
                user_key            {blob} NOT NULL,
                public_key          {blob} NOT NULL,
                private_key         {blob} NOT NULL,
                recovery_auth_hash  TEXT NULL,
                recovery_user_key   {blob} NULL,
                created_at          BIGINT NOT NULL,
                updated_at          BIGINT NOT NULL
            );

            CREATE TABLE auth_sessions (
                id            TEXT PRIMARY KEY,
                user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                kind          TEXT NOT NULL,
                name          TEXT NULL,
                token_hash    {blob} NOT NULL UNIQUE,
                created_at    BIGINT NOT NULL,
                last_used_at  BIGINT NOT NULL,
                expires_at    BIGINT NULL,
                revoked_at    BIGINT NULL
            );
            CREATE INDEX ix_auth_sessions_user ON auth_sessions (user_id);

            CREATE TABLE chats (
                id          TEXT PRIMARY KEY,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                title       {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL
            );
            CREATE INDEX ix_chats_user_created ON chats (user_id, created_at, id);

            CREATE TABLE chat_messages (
                id          TEXT PRIMARY KEY,
                chat_id     TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                body        {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL
            );
            CREATE INDEX ix_chat_messages_chat_created ON chat_messages (chat_id, created_at, id);
            CREATE INDEX ix_chat_messages_user ON chat_messages (user_id);

            CREATE TABLE provider_credentials (
                id          TEXT PRIMARY KEY,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                provider    TEXT NOT NULL,
                secret      {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL
            );
            CREATE INDEX ix_provider_credentials_user ON provider_credentials (user_id, created_at, id);
            """),
        new(2, "egress ports and proxy tokens", """
            CREATE TABLE user_proxy_ports (
                user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                port        INTEGER NOT NULL UNIQUE,
                bytes_up    BIGINT NOT NULL,
                bytes_down  BIGINT NOT NULL,
                created_at  BIGINT NOT NULL
            );

            CREATE TABLE egress_tokens (
                id          TEXT PRIMARY KEY,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                token_hash  {blob} NOT NULL UNIQUE,
                created_at  BIGINT NOT NULL,
                expires_at  BIGINT NOT NULL,
                revoked_at  BIGINT NULL
            );
            CREATE INDEX ix_egress_tokens_user ON egress_tokens (user_id);
            """),
        new(3, "sandboxes and executions", """
            CREATE TABLE runtime_containers (
                id             TEXT PRIMARY KEY,
                owner_server   TEXT NOT NULL,
                engine         TEXT NOT NULL,
                engine_id      TEXT NULL,
                provider       TEXT NOT NULL,
                image          TEXT NOT NULL,
                image_version  TEXT NOT NULL,
                state          TEXT NOT NULL,
                public_key     {blob} NULL,
                execution_id   TEXT NULL,
                reason         TEXT NULL,
                created_at     BIGINT NOT NULL,
                updated_at     BIGINT NOT NULL
            );
            CREATE INDEX ix_runtime_containers_owner_state ON runtime_containers (owner_server, state);

            CREATE TABLE job_executions (
                id              TEXT PRIMARY KEY,
                user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                provider        TEXT NOT NULL,
                sandbox_id      TEXT NULL,
                egress_token_id TEXT NULL,
                owner_server    TEXT NOT NULL,
                state           TEXT NOT NULL,
                reason          TEXT NULL,
                warm            INTEGER NOT NULL,
                exit_code       INTEGER NULL,
                output_bytes    BIGINT NOT NULL,
                chunk_count     BIGINT NOT NULL,
                created_at      BIGINT NOT NULL,
                started_at      BIGINT NULL,
                finished_at     BIGINT NULL
            );
            CREATE INDEX ix_job_executions_user_created ON job_executions (user_id, created_at, id);
            CREATE INDEX ix_job_executions_state ON job_executions (owner_server, state);

            CREATE TABLE job_execution_chunks (
                execution_id  TEXT NOT NULL REFERENCES job_executions(id) ON DELETE CASCADE,
                sequence      BIGINT NOT NULL,
                frame         {blob} NOT NULL,
                PRIMARY KEY (execution_id, sequence)
            );
            """),
        new(4, "execution egress tokens bound to their sandbox's address", """
            ALTER TABLE egress_tokens ADD COLUMN bound_address TEXT NULL;
            """),
        // Vault ids are the client's choice and now unique per user, not across users: creating a record with an id
        // another user holds succeeds like any fresh id, so the answer says nothing about other users' ids. The new
        // tables are filled before the old ones go (children first: dropping a parent would cascade into them).
        new(5, "vault record ids unique per user", """
            CREATE TABLE chats_v5 (
                id          TEXT NOT NULL,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                title       {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL,
                PRIMARY KEY (user_id, id)
            );
            INSERT INTO chats_v5 (id, user_id, title, revision, created_at, updated_at)
                SELECT id, user_id, title, revision, created_at, updated_at FROM chats;

            CREATE TABLE chat_messages_v5 (
                id          TEXT NOT NULL,
                chat_id     TEXT NOT NULL,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                body        {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL,
                PRIMARY KEY (user_id, id),
                FOREIGN KEY (user_id, chat_id) REFERENCES chats_v5 (user_id, id) ON DELETE CASCADE
            );
            INSERT INTO chat_messages_v5 (id, chat_id, user_id, body, revision, created_at, updated_at)
                SELECT id, chat_id, user_id, body, revision, created_at, updated_at FROM chat_messages;

            CREATE TABLE provider_credentials_v5 (
                id          TEXT NOT NULL,
                user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                provider    TEXT NOT NULL,
                secret      {blob} NOT NULL,
                revision    BIGINT NOT NULL,
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL,
                PRIMARY KEY (user_id, id)
            );
            INSERT INTO provider_credentials_v5 (id, user_id, provider, secret, revision, created_at, updated_at)
                SELECT id, user_id, provider, secret, revision, created_at, updated_at FROM provider_credentials;

            DROP TABLE chat_messages;
            DROP TABLE chats;
            DROP TABLE provider_credentials;
            ALTER TABLE chats_v5 RENAME TO chats;
            ALTER TABLE chat_messages_v5 RENAME TO chat_messages;
            ALTER TABLE provider_credentials_v5 RENAME TO provider_credentials;
            CREATE INDEX ix_chats_user_created ON chats (user_id, created_at, id);
            CREATE INDEX ix_chat_messages_chat_created ON chat_messages (user_id, chat_id, created_at, id);
            CREATE INDEX ix_provider_credentials_user ON provider_credentials (user_id, created_at, id);
            """),
        // A reset with the recovery code leaves the vault under a key the code's holder knew: the account's vault takes
        // no writes until its owner's client rotates the keys (issue 13, finding 14).
        new(6, "key rotation required after recovery", """
            ALTER TABLE users ADD COLUMN key_rotation_required INTEGER NOT NULL DEFAULT 0;
            """),
    ];
}
