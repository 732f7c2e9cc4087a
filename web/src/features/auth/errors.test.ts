import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/problem";
import { errorText, formErrors } from "./errors";

const err = (p: Partial<ConstructorParameters<typeof ApiError>[0]>) => new ApiError({ title: "Bad request", status: 400, ...p });

describe("form errors", () => {
  it("puts a problem under the field it names", () => {
    expect(formErrors(err({ detail: "the username is taken", field: "username" }), ["username", "password"])).toEqual({
      field: { username: "the username is taken" },
    });
  });

  it("keeps a problem about a field the form lacks for the whole form", () => {
    expect(formErrors(err({ detail: "nope", field: "totp" }), ["username"])).toEqual({ field: {}, form: "nope" });
  });

  it("reads JSON-pointer fields", () => {
    expect(formErrors(err({ detail: "name must not be empty", field: "/name" }), ["name"]).field.name).toBe("name must not be empty");
  });

  it("falls back to the title, then to the error message", () => {
    expect(errorText(err({}))).toBe("Bad request");
    expect(errorText(new TypeError("Failed to fetch"))).toBe("Failed to fetch");
    expect(formErrors(null, ["a"])).toEqual({ field: {} });
  });
});
