//! Following redirects: which responses are followed (the policy is `proto::redirect`'s), what
//! the next hop keeps of the request (method, body, credentials), and draining a redirect's body
//! so its connection can serve the next hop. Sending each hop is `attempt`'s.

use bytes::Bytes;
use inet_core::{Error, ErrorKind, HandleRef, Reader, Result, Status};

use super::attempt::exchange;
use super::{Plan, Response};
use crate::errors::proto_error;
use crate::options::RequestFlags;
use crate::proto::{
    drop_origin_bound_headers, is_downgrade, redirect_method, resolve_location, same_origin,
    without_userinfo, RedirectRule,
};

/// A redirect response's body is read and dropped, to keep the connection, up to this size.
const REDIRECT_DRAIN_LIMIT: usize = 64 * 1024;

/// Follow redirects from `response` as the request's flags and options allow. A `streamed` body
/// (send-ex) cannot be sent again, so 307/308 are then handed to the caller.
pub(crate) async fn follow(
    h: &HandleRef,
    plan: &mut Plan,
    mut response: Response,
    body: Option<Bytes>,
    streamed: bool,
) -> Result<Response> {
    let mut followed = 0;
    loop {
        let Some((rule, location)) = wanted(plan, &response, streamed) else {
            return Ok(response);
        };
        let location = location.to_string();
        if followed >= plan.options.max_redirects {
            return Err(Error::new(
                ErrorKind::RedirectFailed,
                format!(
                    "{} {}: more than {} redirects",
                    plan.method, plan.url, plan.options.max_redirects
                ),
            ));
        }
        let next = resolve_location(&plan.url, &location).map_err(|e| {
            proto_error(
                e,
                &format!(
                    "following the redirect from {} to {:?}",
                    plan.url,
                    without_userinfo(&location)
                ),
            )
        })?;
        if is_downgrade(&plan.url, &next) && !plan.options.allow_https_to_http {
            return Err(Error::new(
                ErrorKind::HttpsToHttpOnRedirect,
                format!(
                    "redirect from {} to {next}: leaving https is not allowed",
                    plan.url
                ),
            ));
        }
        Box::pin(drain(h, response.reader)).await;
        h.notify(Status::Redirect(next.to_string()));
        if !same_origin(&plan.url, &next) {
            // Credentials (and a Host) meant for one origin must not travel to another.
            drop_origin_bound_headers(&mut plan.headers);
            plan.send_auth = false;
        }
        let body = if rule.keep_body { body.clone() } else { None };
        if !rule.keep_body {
            plan.headers.remove("content-type");
            plan.headers.remove("content-length");
        }
        plan.method = rule.method;
        plan.url = next;
        followed += 1;
        response = Box::pin(exchange(h, plan, body.as_ref())).await?;
    }
}

/// Whether `response` is a redirect that [`follow`] takes (before the redirect limit and the
/// checks of its target): the caller skips building `follow`'s future when it is not.
pub(crate) fn may_follow(plan: &Plan, response: &Response, streamed: bool) -> bool {
    wanted(plan, response, streamed).is_some()
}

/// The rule for the next hop and its `Location`, when `response` is a redirect to follow.
fn wanted<'r>(
    plan: &Plan,
    response: &'r Response,
    streamed: bool,
) -> Option<(RedirectRule, &'r str)> {
    if plan.options.flags.contains(RequestFlags::NO_AUTO_REDIRECT) {
        return None;
    }
    let rule = redirect_method(&plan.method, response.head.status)?;
    let location = response.head.headers.get("location", 0)?;
    // 307/308 must resend the body, and a streamed one cannot be: the caller decides.
    (!(rule.keep_body && streamed)).then_some((rule, location))
}

/// Read and drop a redirect response's body so its connection can serve the next hop; a long
/// one is cut off and its connection closed.
async fn drain(h: &HandleRef, mut reader: Box<Reader>) {
    let mut scratch = vec![0u8; 16 * 1024];
    let mut total = 0;
    while total <= REDIRECT_DRAIN_LIMIT {
        match reader.read(h, &mut scratch).await {
            Ok(0) => return,
            Ok(n) => total += n,
            Err(_) => break,
        }
    }
    reader.abandon(h);
}
