// Session tokens. The access token lives in memory and sessionStorage (so a reload keeps
// the session in this tab); the refresh token rotates on every use, as the gateway wants.
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

interface AuthState {
  tokens: Tokens | null;
  username: string | null;
  setTokens: (t: Tokens, username?: string) => void;
  clear: () => void;
}

export const useAuth = create<AuthState>()(
  persist(
    (set) => ({
      tokens: null,
      username: null,
      setTokens: (tokens, username) =>
        set((s) => ({ tokens, username: username ?? s.username })),
      clear: () => set({ tokens: null, username: null }),
    }),
    { name: "weft.session", storage: createJSONStorage(() => sessionStorage) },
  ),
);

export function tokensFromResponse(r: {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}): Tokens {
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    expiresAt: Date.now() + r.expires_in * 1000,
  };
}
