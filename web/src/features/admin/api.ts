// Server state for administration: users, API keys, credentials, the audit log and the
// signed-in user's own account (password, MFA). Each mutation refreshes the list it changes.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call } from "@/api/client";
import { keys } from "@/api/keys";
import { tokensFromResponse, useAuth } from "@/api/auth";
import { useInvalidatingMutation } from "@/api/queries";
import type { Role, User, UserChange } from "@/api/types";

/** A credential's secret: one string, or named strings (e.g. username and password). */
export type SecretValue = string | Record<string, string>;

// ---- users (admin) ----

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: keys.users,
    enabled,
    queryFn: async () => (await call(() => api.GET("/api/v1/users"))).items,
  });
}

export function useCreateUser() {
  return useInvalidatingMutation(keys.users, (body: { username: string; password: string; role: Role }) =>
    call(() => api.POST("/api/v1/users", { body })),
  );
}

export function useUpdateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: UserChange }) =>
      call(() => api.PATCH("/api/v1/users/{id}", { params: { path: { id } }, body: change })),
    onSuccess: (user) => {
      qc.setQueryData<User[]>(keys.users, (list) => list?.map((u) => (u.id === user.id ? user : u)));
      return qc.invalidateQueries({ queryKey: keys.users });
    },
  });
}

export function useDeleteUser() {
  return useInvalidatingMutation(keys.users, (id: string) => call(() => api.DELETE("/api/v1/users/{id}", { params: { path: { id } } })));
}

// ---- API keys ----

export function useApiKeys() {
  return useQuery({
    queryKey: keys.apiKeys,
    queryFn: async () => (await call(() => api.GET("/api/v1/api-keys"))).items,
  });
}

export function useCreateApiKey() {
  return useInvalidatingMutation(keys.apiKeys, (body: { name: string; role: Role; expires_at?: number | null }) =>
    call(() => api.POST("/api/v1/api-keys", { body })),
  );
}

export function useRevokeApiKey() {
  return useInvalidatingMutation(keys.apiKeys, (id: string) => call(() => api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id } } })));
}

// ---- credentials (editor) ----

export function useCredentials(enabled = true) {
  return useQuery({
    queryKey: keys.credentials,
    enabled,
    queryFn: async () => (await call(() => api.GET("/api/v1/credentials"))).items,
  });
}

// The schema types `value` as an object; the gateway takes a string too.
type WireValue = Record<string, never>;

export function useCreateCredential() {
  return useInvalidatingMutation(keys.credentials, ({ name, kind, value }: { name: string; kind: string; value: SecretValue }) =>
    call(() => api.POST("/api/v1/credentials", { body: { name, kind, value: value as WireValue } })),
  );
}

export function useUpdateCredential() {
  return useInvalidatingMutation(keys.credentials, ({ id, name, kind, value }: { id: string; name?: string; kind?: string; value?: SecretValue }) =>
    call(() =>
      api.PUT("/api/v1/credentials/{id}", {
        params: { path: { id } },
        // Without a new value the stored one stays: the UI never has it to send back.
        body: { name, kind, ...(value !== undefined && { value: value as WireValue }) },
      }),
    ),
  );
}

export function useDeleteCredential() {
  return useInvalidatingMutation(keys.credentials, (id: string) => call(() => api.DELETE("/api/v1/credentials/{id}", { params: { path: { id } } })));
}

// ---- audit (admin) ----

export interface AuditFilter {
  principal?: string;
  action?: string;
  resource?: string;
  /** Unix ms, inclusive. */
  since?: number;
  until?: number;
}

export function useAudit(filter: AuditFilter) {
  return useInfiniteQuery({
    queryKey: keys.audit({ ...filter }),
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      call(() => api.GET("/api/v1/audit", { params: { query: { ...filter, cursor: pageParam, limit: 100 } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

// ---- own account ----

export function useChangePassword() {
  return useMutation({
    mutationFn: async (body: { current_password: string; new_password: string }) => {
      await call(() => api.POST("/api/v1/auth/password", { body }));
      // The change revokes every refresh token of the account, this tab's too; signing in
      // again with the new password keeps this session alive past its access token.
      const username = useAuth.getState().username;
      if (!username) return { relogged: false };
      try {
        const pair = await call(() => api.POST("/api/v1/auth/login", { body: { username, password: body.new_password } }));
        useAuth.getState().setTokens(tokensFromResponse(pair), username);
        return { relogged: true };
      } catch {
        // MFA accounts need a code to sign in again; the session ends when its token does.
        return { relogged: false };
      }
    },
  });
}

export function useMfaSetup() {
  return useMutation({ mutationFn: () => call(() => api.POST("/api/v1/auth/mfa/setup")) });
}

export function useMfaEnable() {
  return useInvalidatingMutation(keys.me, (body: { setup_token: string; code: string }) => call(() => api.POST("/api/v1/auth/mfa/enable", { body })));
}

export function useMfaDisable() {
  return useInvalidatingMutation(keys.me, (body: { password: string }) => call(() => api.POST("/api/v1/auth/mfa/disable", { body })));
}
