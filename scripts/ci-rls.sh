#!/usr/bin/env bash
# The specs of user data with DATABASE_RLS=on: every test app connects as the app's own role (chat_app,
# made by the test setup), so the row-level security policies bind every statement the specs cause, and
# each spec's claims must still hold. On the embedded test database, like `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a SPECS <<<"${RLS_CI_SPECS:-test/row-security.e2e-spec.ts test/sessions.e2e-spec.ts test/messages.e2e-spec.ts \
  test/usage.e2e-spec.ts test/chat.e2e-spec.ts test/search.e2e-spec.ts test/session-stats.e2e-spec.ts test/erasure.e2e-spec.ts \
  test/users.e2e-spec.ts test/last-admin.e2e-spec.ts test/sessions-concurrency.e2e-spec.ts test/messages-concurrency.e2e-spec.ts \
  test/chat-cost-control.e2e-spec.ts test/retention.e2e-spec.ts test/export.e2e-spec.ts test/export-streaming.e2e-spec.ts \
  test/import.e2e-spec.ts test/export-import-round-trip.e2e-spec.ts test/delete-all.e2e-spec.ts test/metadata-filters.e2e-spec.ts \
  test/api-keys.e2e-spec.ts test/oidc-users.e2e-spec.ts}"

TEST_DATABASE_RLS=on npm test -- "${SPECS[@]}"
