//! The behaviour every [`AccessStore`] backend must have: users, login throttling, refresh-token
//! families, API keys, sealed credentials, the audit log and webhook routes.

use crate::support::{NOW, TestStore};
use serde_json::json;
use uuid::Uuid;
use weft_core::WorkflowId;
use weft_persistence::{
    AccessStore, AuditEntry, AuditFilter, CredentialSecret, CredentialUpdate, NewApiKey,
    NewCredential, NewUser, RefreshTokenRecord, RefreshUse, Role, StoreError, UserUpdate, Vault,
    WebhookRoute,
};

fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        id: Uuid::now_v7(),
        username: username.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${username}"),
        role,
        now: NOW,
    }
}

async fn create_user(access: &dyn AccessStore, username: &str) -> Uuid {
    access
        .create_user(new_user(username, Role::Editor))
        .await
        .unwrap()
        .id
}

/// A live token (expiring a minute after `NOW`) whose hash is `hash`.
fn refresh_token(user_id: Uuid, family_id: Uuid, hash: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        id: Uuid::now_v7(),
        family_id,
        user_id,
        token_hash: hash.into(),
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: None,
        revoked_at: None,
    }
}

fn new_api_key(name: &str, created_by: Uuid, now: i64) -> NewApiKey {
    NewApiKey {
        id: Uuid::now_v7(),
        name: name.into(),
        prefix: format!("wft_{name}"),
        key_hash: format!("hash-of-{name}"),
        role: Role::Operator,
        created_by,
        expires_at: Some(now + 86_400_000),
        now,
    }
}

fn is_not_found(err: &StoreError) -> bool {
    matches!(err, StoreError::NotFound { .. })
}

// ---- users -------------------------------------------------------------------------------

pub async fn users_crud_and_username_taken(db: &TestStore) {
    let access = &db.database;
    assert_eq!(access.count_users().await.unwrap(), 0);
    let bob = access
        .create_user(new_user("bob", Role::Viewer))
        .await
        .unwrap();
    let alice = access
        .create_user(new_user("alice", Role::Editor))
        .await
        .unwrap();
    assert_eq!(
        (
            alice.role,
            alice.disabled,
            alice.failed_logins,
            alice.locked_until
        ),
        (Role::Editor, false, 0, None)
    );
    assert_eq!(alice.totp_secret, None);
    assert_eq!((alice.created_at, alice.updated_at), (NOW, NOW));
    assert_eq!(access.get_user(alice.id).await.unwrap(), alice);
    assert_eq!(access.get_user_by_name("alice").await.unwrap(), alice);

    let err = access
        .create_user(new_user("alice", Role::Admin))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::AlreadyExists { what: "user", id } if id == "alice"),
        "{err:?}"
    );
    // Usernames compare as written.
    let capital = access
        .create_user(new_user("Alice", Role::Viewer))
        .await
        .unwrap();
    let err = access
        .create_user(new_user(" ", Role::Viewer))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    let names: Vec<String> = access
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["Alice", "alice", "bob"]);
    assert_eq!(access.count_users().await.unwrap(), 3);

    let totp = vec![1u8, 0, 255, 7];
    let updated = access
        .update_user(
            alice.id,
            UserUpdate {
                role: Some(Role::Admin),
                disabled: Some(true),
                totp_secret: Some(Some(totp.clone())),
                ..UserUpdate::default()
            },
            NOW + 10,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            updated.role,
            updated.disabled,
            updated.totp_secret.as_deref()
        ),
        (Role::Admin, true, Some(&totp[..]))
    );
    assert_eq!(updated.password_hash, alice.password_hash, "left as it was");
    assert_eq!((updated.created_at, updated.updated_at), (NOW, NOW + 10));
    assert_eq!(access.get_user(alice.id).await.unwrap(), updated);

    let updated = access
        .update_user(
            alice.id,
            UserUpdate {
                password_hash: Some("$argon2id$new".into()),
                totp_secret: Some(None),
                ..UserUpdate::default()
            },
            NOW + 20,
        )
        .await
        .unwrap();
    assert_eq!(updated.totp_secret, None, "MFA turned off");
    assert_eq!(updated.password_hash, "$argon2id$new");
    assert_eq!((updated.role, updated.disabled), (Role::Admin, true));

    let unknown = Uuid::now_v7();
    assert!(is_not_found(&access.get_user(unknown).await.unwrap_err()));
    assert!(is_not_found(
        &access.get_user_by_name("nobody").await.unwrap_err()
    ));
    assert!(is_not_found(
        &access
            .update_user(unknown, UserUpdate::default(), NOW)
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        &access.delete_user(unknown).await.unwrap_err()
    ));

    access.delete_user(bob.id).await.unwrap();
    assert!(is_not_found(&access.get_user(bob.id).await.unwrap_err()));
    assert!(is_not_found(&access.delete_user(bob.id).await.unwrap_err()));
    assert_eq!(access.count_users().await.unwrap(), 2);
    // The name is free again.
    access
        .create_user(new_user("bob", Role::Viewer))
        .await
        .unwrap();
    access.get_user(capital.id).await.unwrap();
}

pub async fn login_failures_lock_and_reset(db: &TestStore) {
    let access = &db.database;
    let id = create_user(access.as_ref(), "carol").await;
    let lock_ms = 60_000;
    for expected in 1..=2 {
        let user = access
            .record_login_failure(id, NOW, 3, lock_ms)
            .await
            .unwrap();
        assert_eq!((user.failed_logins, user.locked_until), (expected, None));
    }
    let locked = access
        .record_login_failure(id, NOW + 5, 3, lock_ms)
        .await
        .unwrap();
    assert_eq!(
        (locked.failed_logins, locked.locked_until),
        (0, Some(NOW + 5 + lock_ms)),
        "the third failure locks and starts the count again"
    );
    assert_eq!(access.get_user(id).await.unwrap(), locked);

    access.record_login_success(id, NOW + 100).await.unwrap();
    let user = access.get_user(id).await.unwrap();
    assert_eq!((user.failed_logins, user.locked_until), (0, None));

    // Concurrent failures are each counted.
    let failures: Vec<_> = (0..8)
        .map(|_| {
            let database = db.database.clone();
            tokio::spawn(async move { database.record_login_failure(id, NOW, 100, lock_ms).await })
        })
        .collect();
    for failure in failures {
        failure.await.unwrap().unwrap();
    }
    assert_eq!(access.get_user(id).await.unwrap().failed_logins, 8);

    // 0: counted, never locked.
    let user = access
        .record_login_failure(id, NOW, 0, lock_ms)
        .await
        .unwrap();
    assert_eq!((user.failed_logins, user.locked_until), (9, None));

    let err = access
        .record_login_failure(id, NOW, 3, -1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let unknown = Uuid::now_v7();
    assert!(is_not_found(
        &access
            .record_login_failure(unknown, NOW, 3, lock_ms)
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        &access.record_login_success(unknown, NOW).await.unwrap_err()
    ));
}

// ---- refresh tokens ----------------------------------------------------------------------

pub async fn refresh_tokens_are_used_once(db: &TestStore) {
    let access = &db.database;
    let user = create_user(access.as_ref(), "dave").await;
    let family = Uuid::now_v7();
    let token = refresh_token(user, family, "h1");
    access.insert_refresh_token(token.clone()).await.unwrap();

    let fresh = access.use_refresh_token("h1", NOW + 1).await.unwrap();
    let used = RefreshTokenRecord {
        used_at: Some(NOW + 1),
        ..token.clone()
    };
    assert_eq!(fresh, RefreshUse::Fresh(used.clone()));
    assert_eq!(
        access.use_refresh_token("h1", NOW + 2).await.unwrap(),
        RefreshUse::Reused(used),
        "a second use is a replay"
    );

    let err = access
        .insert_refresh_token(RefreshTokenRecord {
            token_hash: "other".into(),
            ..token.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                what: "refresh token",
                ..
            }
        ),
        "{err:?}"
    );

    // Expired at exactly `expires_at`; an expired token stays unused.
    let expiring = refresh_token(user, family, "h2");
    access.insert_refresh_token(expiring.clone()).await.unwrap();
    assert_eq!(
        access
            .use_refresh_token("h2", expiring.expires_at)
            .await
            .unwrap(),
        RefreshUse::Expired(expiring)
    );
    assert_eq!(
        access.use_refresh_token("nope", NOW).await.unwrap(),
        RefreshUse::Unknown
    );

    // Revoking a family: its live tokens are replays from then on, other families live on.
    let stolen = Uuid::now_v7();
    access
        .insert_refresh_token(refresh_token(user, stolen, "s1"))
        .await
        .unwrap();
    access
        .insert_refresh_token(refresh_token(user, stolen, "s2"))
        .await
        .unwrap();
    let other_family = Uuid::now_v7();
    access
        .insert_refresh_token(refresh_token(user, other_family, "o1"))
        .await
        .unwrap();
    access.revoke_refresh_family(stolen, NOW + 7).await.unwrap();
    // Revoking again keeps the first time.
    access.revoke_refresh_family(stolen, NOW + 8).await.unwrap();
    for hash in ["s1", "s2"] {
        match access.use_refresh_token(hash, NOW + 9).await.unwrap() {
            RefreshUse::Reused(t) => {
                assert_eq!((t.revoked_at, t.used_at), (Some(NOW + 7), None), "{hash}")
            }
            other => panic!("{hash}: {other:?}"),
        }
    }
    assert!(matches!(
        access.use_refresh_token("o1", NOW + 9).await.unwrap(),
        RefreshUse::Fresh(_)
    ));
    // Revoking an unknown family is not an error: there is nothing left to use.
    access
        .revoke_refresh_family(Uuid::now_v7(), NOW)
        .await
        .unwrap();

    // Every token of one user, and only theirs.
    let someone = create_user(access.as_ref(), "erin").await;
    access
        .insert_refresh_token(refresh_token(user, Uuid::now_v7(), "u1"))
        .await
        .unwrap();
    access
        .insert_refresh_token(refresh_token(someone, Uuid::now_v7(), "e1"))
        .await
        .unwrap();
    access
        .revoke_user_refresh_tokens(user, NOW + 10)
        .await
        .unwrap();
    assert!(matches!(
        access.use_refresh_token("u1", NOW + 11).await.unwrap(),
        RefreshUse::Reused(RefreshTokenRecord {
            revoked_at: Some(_),
            ..
        })
    ));
    assert!(matches!(
        access.use_refresh_token("e1", NOW + 11).await.unwrap(),
        RefreshUse::Fresh(_)
    ));
}

pub async fn concurrent_refresh_uses_give_one_fresh(db: &TestStore) {
    let user = create_user(db.database.as_ref(), "frank").await;
    for round in 0..3 {
        let hash = format!("race-{round}");
        db.database
            .insert_refresh_token(refresh_token(user, Uuid::now_v7(), &hash))
            .await
            .unwrap();
        let uses: Vec<_> = (0..8)
            .map(|_| {
                let database = db.database.clone();
                let hash = hash.clone();
                tokio::spawn(async move { database.use_refresh_token(&hash, NOW + 1).await })
            })
            .collect();
        let (mut fresh, mut reused) = (0, 0);
        for outcome in uses {
            match outcome.await.unwrap().unwrap() {
                RefreshUse::Fresh(_) => fresh += 1,
                RefreshUse::Reused(_) => reused += 1,
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!((fresh, reused), (1, 7), "round {round}");
    }
}

// ---- API keys ----------------------------------------------------------------------------

pub async fn api_keys_lifecycle(db: &TestStore) {
    let access = &db.database;
    let admin = create_user(access.as_ref(), "grace").await;
    let first = access
        .create_api_key(new_api_key("ci", admin, NOW))
        .await
        .unwrap();
    let second = access
        .create_api_key(new_api_key("deploy", admin, NOW + 1))
        .await
        .unwrap();
    assert_eq!(
        (first.created_at, first.last_used_at, first.revoked_at),
        (NOW, None, None)
    );
    assert_eq!(
        access.get_api_key_by_hash("hash-of-ci").await.unwrap(),
        first
    );
    assert!(is_not_found(
        &access
            .get_api_key_by_hash("hash-of-nothing")
            .await
            .unwrap_err()
    ));
    let err = access
        .create_api_key(NewApiKey {
            id: Uuid::now_v7(),
            ..new_api_key("ci", admin, NOW)
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                what: "api key",
                ..
            }
        ),
        "same hash: {err:?}"
    );

    let listed = access.list_api_keys().await.unwrap();
    assert_eq!(listed, [second.clone(), first.clone()], "newest first");

    access.touch_api_key(first.id, NOW + 50).await.unwrap();
    // A late touch never moves the time back.
    access.touch_api_key(first.id, NOW + 30).await.unwrap();
    assert_eq!(
        access
            .get_api_key_by_hash("hash-of-ci")
            .await
            .unwrap()
            .last_used_at,
        Some(NOW + 50)
    );

    access.revoke_api_key(first.id, NOW + 60).await.unwrap();
    access.revoke_api_key(first.id, NOW + 70).await.unwrap();
    assert!(is_not_found(
        &access.get_api_key_by_hash("hash-of-ci").await.unwrap_err()
    ));
    let listed = access.list_api_keys().await.unwrap();
    assert_eq!(listed.len(), 2, "revoked keys stay listed");
    assert_eq!(listed[1].id, first.id);
    assert_eq!(listed[1].revoked_at, Some(NOW + 60), "the first revocation");
    assert_eq!(listed[0], second);
    // What the API shows of a key never holds its hash.
    let shown = serde_json::to_value(&listed[0]).unwrap();
    assert!(shown.get("key_hash").is_none(), "{shown}");

    let unknown = Uuid::now_v7();
    assert!(is_not_found(
        &access.revoke_api_key(unknown, NOW).await.unwrap_err()
    ));
    assert!(is_not_found(
        &access.touch_api_key(unknown, NOW).await.unwrap_err()
    ));
}

// ---- credentials -------------------------------------------------------------------------

pub async fn credentials_keep_their_secret_apart(db: &TestStore) {
    let access = &db.database;
    let vault = Vault::from_key([42; 32]);
    let owner = create_user(access.as_ref(), "heidi").await;
    let github_id = Uuid::now_v7();
    let sealed = vault.seal_credential(github_id, 1, b"bearer s3cret");
    let github = access
        .create_credential(NewCredential {
            id: github_id,
            name: "github".into(),
            kind: "http.bearer".into(),
            sealed: sealed.clone(),
            created_by: owner,
            now: NOW,
        })
        .await
        .unwrap();
    assert_eq!(
        (
            github.id,
            github.name.as_str(),
            github.kind.as_str(),
            github.version,
            github.created_at
        ),
        (github_id, "github", "http.bearer", 1, NOW)
    );
    let db_id = Uuid::now_v7();
    let db_cred = access
        .create_credential(NewCredential {
            id: db_id,
            name: "analytics-db".into(),
            kind: "postgres".into(),
            sealed: vault.seal_credential(db_id, 1, b"hunter2"),
            created_by: owner,
            now: NOW,
        })
        .await
        .unwrap();

    assert_eq!(access.get_credential(github.id).await.unwrap(), github);
    assert_eq!(
        access.get_credential_by_name("github").await.unwrap(),
        github
    );
    let listed = access.list_credentials().await.unwrap();
    assert_eq!(listed, [db_cred.clone(), github.clone()], "by name");
    // Reads and lists carry no secret, in any form.
    for record in &listed {
        let shown = serde_json::to_string(record).unwrap();
        assert!(!shown.contains("sealed"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
    let secret = access.get_credential_secret(github.id).await.unwrap();
    assert_eq!(secret.sealed, sealed, "the sealed bytes come back exactly");
    assert_eq!(secret.version, 1);
    assert_eq!(
        vault
            .open_credential(github.id, secret.version, &secret.sealed)
            .unwrap(),
        b"bearer s3cret"
    );
    // Its debug form shows no bytes.
    assert!(!format!("{secret:?}").contains(&format!("{:?}", &sealed[..4])));

    let err = access
        .create_credential(NewCredential {
            id: Uuid::now_v7(),
            name: "github".into(),
            kind: "other".into(),
            sealed: vault.seal(b"x"),
            created_by: owner,
            now: NOW,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::AlreadyExists { what: "credential", id } if id == "github"),
        "{err:?}"
    );

    // A new secret is version 2, sealed for it.
    let resealed = vault.seal_credential(github.id, 2, b"bearer rotated");
    let updated = access
        .update_credential(
            github.id,
            CredentialUpdate {
                name: Some("github-bot".into()),
                secret: Some(CredentialSecret {
                    version: 2,
                    sealed: resealed.clone(),
                }),
                ..CredentialUpdate::default()
            },
            NOW + 5,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.kind.as_str(),
            updated.version,
            updated.created_at,
            updated.updated_at
        ),
        ("github-bot", "http.bearer", 2, NOW, NOW + 5)
    );
    assert_eq!(
        access.get_credential_secret(github.id).await.unwrap(),
        CredentialSecret {
            version: 2,
            sealed: resealed.clone()
        }
    );
    assert!(is_not_found(
        &access.get_credential_by_name("github").await.unwrap_err()
    ));
    assert_eq!(
        access.get_credential_by_name("github-bot").await.unwrap(),
        updated
    );
    // Changing only the kind keeps the secret and its version.
    let rekinded = access
        .update_credential(
            github.id,
            CredentialUpdate {
                kind: Some("http.header".into()),
                ..CredentialUpdate::default()
            },
            NOW + 6,
        )
        .await
        .unwrap();
    assert_eq!(rekinded.version, 2);
    let secret = access.get_credential_secret(github.id).await.unwrap();
    assert_eq!(
        vault
            .open_credential(github.id, secret.version, &secret.sealed)
            .unwrap(),
        b"bearer rotated"
    );
    let err = access
        .update_credential(
            github.id,
            CredentialUpdate {
                name: Some("analytics-db".into()),
                ..CredentialUpdate::default()
            },
            NOW + 7,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::AlreadyExists { what: "credential", id } if id == "analytics-db"),
        "{err:?}"
    );
    assert_eq!(
        access.get_credential(github.id).await.unwrap().name,
        "github-bot",
        "a refused rename changes nothing"
    );

    let unknown = Uuid::now_v7();
    assert!(is_not_found(
        &access
            .update_credential(unknown, CredentialUpdate::default(), NOW)
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        &access
            .update_credential(
                unknown,
                CredentialUpdate {
                    secret: Some(CredentialSecret {
                        version: 2,
                        sealed: vault.seal_credential(unknown, 2, b"x"),
                    }),
                    ..CredentialUpdate::default()
                },
                NOW
            )
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        &access.get_credential_secret(unknown).await.unwrap_err()
    ));
    assert!(is_not_found(
        &access.get_credential_by_name("nobody").await.unwrap_err()
    ));
    access.delete_credential(github.id).await.unwrap();
    assert!(is_not_found(
        &access.get_credential(github.id).await.unwrap_err()
    ));
    assert!(is_not_found(
        &access.get_credential_secret(github.id).await.unwrap_err()
    ));
    assert!(is_not_found(
        &access.delete_credential(github.id).await.unwrap_err()
    ));
    assert_eq!(access.list_credentials().await.unwrap(), [db_cred]);
}

pub async fn credential_versions_refuse_stale_secrets(db: &TestStore) {
    let access = &db.database;
    let vault = Vault::from_key([42; 32]);
    let owner = create_user(access.as_ref(), "ivan").await;
    let id = Uuid::now_v7();
    access
        .create_credential(NewCredential {
            id,
            name: "smtp".into(),
            kind: "smtp".into(),
            sealed: vault.seal_credential(id, 1, b"v1"),
            created_by: owner,
            now: NOW,
        })
        .await
        .unwrap();
    let new_secret = |version: u32, text: &str| CredentialUpdate {
        secret: Some(CredentialSecret {
            version,
            sealed: vault.seal_credential(id, version, text.as_bytes()),
        }),
        ..CredentialUpdate::default()
    };

    // Versions no update creates are invalid, whatever is stored.
    for version in [0, 1, u32::MAX] {
        let err = access
            .update_credential(id, new_secret(version, "x"), NOW + 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{version}: {err:?}");
    }
    // Sealed for a version that is not the next one: a conflict naming the stored version.
    let err = access
        .update_credential(id, new_secret(3, "skips 2"), NOW + 1)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.to_string().contains("version 1"), "{err}");

    // Two writers sealed for version 2 at once: exactly one wins; the other is told to seal
    // again, and the stored value opens under the version stored with it.
    let (a, b) = tokio::join!(
        access.update_credential(id, new_secret(2, "from a"), NOW + 2),
        access.update_credential(id, new_secret(2, "from b"), NOW + 2),
    );
    let (winner, loser) = match (a, b) {
        (Ok(_), Err(e)) => ("from a", e),
        (Err(e), Ok(_)) => ("from b", e),
        other => panic!("exactly one update wins: {other:?}"),
    };
    assert!(loser.is_conflict(), "{loser:?}");
    let stored = access.get_credential_secret(id).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(
        vault
            .open_credential(id, stored.version, &stored.sealed)
            .unwrap(),
        winner.as_bytes()
    );
    // Nothing changed by the refused ones.
    let record = access.get_credential(id).await.unwrap();
    assert_eq!((record.version, record.updated_at), (2, NOW + 2));

    let third = access
        .update_credential(id, new_secret(3, "v3"), NOW + 3)
        .await
        .unwrap();
    assert_eq!(third.version, 3);
    // A stale value written back by hand (version 2's bytes under version 3) does not open.
    let old = vault.seal_credential(id, 2, b"old");
    assert!(vault.open_credential(id, 3, &old).is_err());
}

// ---- audit -------------------------------------------------------------------------------

fn audit(at: i64, principal: &str, action: &str, resource: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at,
        principal: principal.into(),
        action: action.into(),
        resource: resource.into(),
        status: 200,
        ip: Some("127.0.0.1".into()),
        request_id: Some(format!("req-{at}")),
        // Keys out of alphabetical order: they come back as written.
        detail: json!({"z": at, "a": [1, {"y": null}]}),
    }
}

async fn audit_actions(access: &dyn AccessStore, filter: AuditFilter) -> Vec<String> {
    access
        .list_audit(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

pub async fn audit_log_filters_and_pages(db: &TestStore) {
    let access = db.database.as_ref();
    access.append_audit(Vec::new()).await.unwrap();
    let mut anonymous = audit(NOW + 5, "anonymous", "auth.login", "");
    anonymous.status = 401;
    anonymous.ip = None;
    anonymous.request_id = None;
    anonymous.detail = json!(null);
    let written = vec![
        audit(NOW + 1, "user:alice", "workflow.create", "workflow/aaa"),
        audit(NOW + 2, "user:alice", "workflow.update", "workflow/aaa"),
        audit(
            NOW + 3,
            "api_key:k1",
            "execution.start",
            "workflow/aaa/executions",
        ),
        audit(NOW + 4, "user:bob", "workflow.delete", "workflow/bbb"),
        anonymous,
        audit(NOW + 6, "user:bob", "workflows.export", "workflow_x"),
        audit(NOW + 7, "user:bob", "x_y.z", "a%b"),
    ];
    access.append_audit(written[..3].to_vec()).await.unwrap();
    access.append_audit(written[3..].to_vec()).await.unwrap();

    let all = access.list_audit(&AuditFilter::default()).await.unwrap();
    assert_eq!(all.len(), written.len());
    assert!(
        all.windows(2).all(|w| w[0].id > w[1].id),
        "newest first, ids assigned in order"
    );
    for (stored, original) in all.iter().rev().zip(&written) {
        assert_eq!(
            stored,
            &AuditEntry {
                id: stored.id,
                ..original.clone()
            }
        );
    }
    assert_eq!(
        serde_json::to_string(&all[0].detail).unwrap(),
        r#"{"z":1700000000007,"a":[1,{"y":null}]}"#
    );

    let by = |f: AuditFilter| audit_actions(access, f);
    assert_eq!(
        by(AuditFilter {
            principal: Some("user:alice".into()),
            ..AuditFilter::default()
        })
        .await,
        ["workflow.update", "workflow.create"]
    );
    assert_eq!(
        by(AuditFilter {
            action: Some("workflow.create".into()),
            ..AuditFilter::default()
        })
        .await,
        ["workflow.create"]
    );
    assert_eq!(
        by(AuditFilter {
            action: Some("workflow.".into()),
            ..AuditFilter::default()
        })
        .await,
        ["workflow.delete", "workflow.update", "workflow.create"],
        "a prefix ends at the dot: `workflows.export` is not in it"
    );
    assert!(
        by(AuditFilter {
            action: Some("workflow".into()),
            ..AuditFilter::default()
        })
        .await
        .is_empty(),
        "without the dot the action must match exactly"
    );
    assert!(
        by(AuditFilter {
            action: Some("x%.".into()),
            ..AuditFilter::default()
        })
        .await
        .is_empty(),
        "`%` is a plain character"
    );
    assert_eq!(
        by(AuditFilter {
            action: Some("x_y.".into()),
            ..AuditFilter::default()
        })
        .await,
        ["x_y.z"]
    );
    assert_eq!(
        by(AuditFilter {
            resource: Some("workflow/aaa".into()),
            ..AuditFilter::default()
        })
        .await,
        ["execution.start", "workflow.update", "workflow.create"]
    );
    assert!(
        by(AuditFilter {
            resource: Some("a_b".into()),
            ..AuditFilter::default()
        })
        .await
        .is_empty(),
        "`_` is a plain character"
    );
    assert_eq!(
        by(AuditFilter {
            since: Some(NOW + 2),
            until: Some(NOW + 4),
            ..AuditFilter::default()
        })
        .await,
        ["execution.start", "workflow.update"],
        "since is inclusive, until exclusive"
    );
    assert_eq!(
        by(AuditFilter {
            principal: Some("user:bob".into()),
            action: Some("workflow.".into()),
            since: Some(NOW + 1),
            ..AuditFilter::default()
        })
        .await,
        ["workflow.delete"],
        "filters combine"
    );

    // Pages of 3 with the cursor give everything once, newest first.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = access
            .list_audit(&AuditFilter {
                before,
                limit: 3,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        paged.extend(page);
    }
    assert_eq!(paged, all);
}

// ---- webhook routes ----------------------------------------------------------------------

fn routes(workflow_id: WorkflowId, paths: &[&str]) -> Vec<WebhookRoute> {
    paths
        .iter()
        .map(|path| WebhookRoute {
            path: (*path).into(),
            workflow_id,
            node_id: format!("hook_{}", path.replace('/', "_")),
        })
        .collect()
}

pub async fn webhook_routes_replace_and_conflict(db: &TestStore) {
    let access = db.database.as_ref();
    let (orders, billing) = (WorkflowId::new(), WorkflowId::new());
    let listed = || async move { access.list_webhook_routes().await.unwrap() };
    assert!(listed().await.is_empty());

    access
        .set_webhook_routes(orders, routes(orders, &["orders/new", "orders/cancel"]))
        .await
        .unwrap();
    access
        .set_webhook_routes(billing, routes(billing, &["billing"]))
        .await
        .unwrap();
    // A replacement drops the routes it no longer lists.
    access
        .set_webhook_routes(orders, routes(orders, &["orders/new", "orders/paid"]))
        .await
        .unwrap();
    let mut expected = routes(billing, &["billing"]);
    expected.extend(routes(orders, &["orders/new", "orders/paid"]));
    assert_eq!(listed().await, expected, "by path");

    let err = access
        .set_webhook_routes(
            billing,
            routes(billing, &["billing", "invoices", "orders/paid"]),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("orders/paid") && message.contains(&orders.to_string()),
        "{message}"
    );
    assert_eq!(listed().await, expected, "a refused set changes nothing");

    for bad in [
        routes(orders, &["billing"]),
        routes(billing, &["/leading-slash"]),
        routes(billing, &[""]),
        routes(billing, &["twice", "twice"]),
    ] {
        let err = access.set_webhook_routes(billing, bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    assert_eq!(listed().await, expected);

    // Once the holder lets a path go, another workflow can take it.
    access.set_webhook_routes(orders, Vec::new()).await.unwrap();
    access
        .set_webhook_routes(billing, routes(billing, &["billing", "orders/paid"]))
        .await
        .unwrap();
    assert_eq!(listed().await, routes(billing, &["billing", "orders/paid"]));
}

// ---- deleting a user ---------------------------------------------------------------------

pub async fn deleting_a_user_revokes_their_tokens_and_keys(db: &TestStore) {
    let access = db.database.as_ref();
    let leaving = create_user(access, "ivan").await;
    let staying = create_user(access, "judy").await;
    for (user, hash) in [(leaving, "l1"), (leaving, "l2"), (staying, "s1")] {
        access
            .insert_refresh_token(refresh_token(user, Uuid::now_v7(), hash))
            .await
            .unwrap();
    }
    let leaving_key = access
        .create_api_key(new_api_key("ivan-ci", leaving, NOW))
        .await
        .unwrap();
    access
        .create_api_key(new_api_key("judy-ci", staying, NOW))
        .await
        .unwrap();

    access.delete_user(leaving).await.unwrap();
    assert!(is_not_found(&access.get_user(leaving).await.unwrap_err()));
    for hash in ["l1", "l2"] {
        assert!(
            matches!(
                access.use_refresh_token(hash, NOW + 1).await.unwrap(),
                RefreshUse::Reused(RefreshTokenRecord {
                    revoked_at: Some(_),
                    ..
                })
            ),
            "{hash}"
        );
    }
    assert!(is_not_found(
        &access
            .get_api_key_by_hash("hash-of-ivan-ci")
            .await
            .unwrap_err()
    ));
    let listed = access.list_api_keys().await.unwrap();
    let revoked = listed.iter().find(|k| k.id == leaving_key.id).unwrap();
    assert!(revoked.revoked_at.is_some(), "kept, revoked: {revoked:?}");

    // The other user keeps everything.
    assert!(matches!(
        access.use_refresh_token("s1", NOW + 1).await.unwrap(),
        RefreshUse::Fresh(_)
    ));
    access.get_api_key_by_hash("hash-of-judy-ci").await.unwrap();
    access.get_user(staying).await.unwrap();
}
