// The WeChat mini-program transport: `wx.request`, and tokens kept in `wx` storage.
import type { TokenStore, Transport } from "./runtime.js";

/** The part of the mini-program `wx` object the client uses. */
export interface WxLike {
    request(options: {
        url: string;
        method?: string;
        header?: Record<string, string>;
        data?: string;
        dataType?: string;
        responseType?: string;
        timeout?: number;
        success?: (result: { statusCode: number; header: Record<string, string>; data: unknown }) => void;
        fail?: (error: { errMsg: string }) => void;
    }): unknown;
    login(options: {
        timeout?: number;
        success?: (result: { code: string }) => void;
        fail?: (error: { errMsg: string }) => void;
    }): unknown;
    getStorageSync(key: string): unknown;
    setStorageSync(key: string, value: unknown): void;
    removeStorageSync(key: string): void;
}

export declare function wxTransport(wxObject?: WxLike): Transport;
/** Tokens that outlive a restart of the mini-program, in `wx` storage under `key`. */
export declare function wxStorageTokenStore(key?: string, wxObject?: WxLike): TokenStore;
/** The `code` of `wx.login()`, for the service's WeChat login operation. */
export declare function wxLoginCode(wxObject?: WxLike): Promise<string>;
