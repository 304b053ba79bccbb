//! Whole-file transfers between a local path and the server (WinINet: FtpGetFile, FtpPutFile):
//! one operation on the connection handle each, with progress notifications, fail-if-exists and
//! resume.
//!
//! A download creates (or truncates) the local file only once the server has accepted the
//! `RETR`: a refused download leaves an existing local file as it was. Local file I/O is plain
//! `std::fs` on the operation's thread: page-cache writes of 256 KiB take microseconds, and a
//! thread hop per block would cost more than it saves.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use inet_core::{Context, Direction, Error, ErrorKind, Pending, ProgressMeter, Reader, Result};

use crate::connection::FtpConnection;
use crate::data::{self, transform_for, Budget};
use crate::errors;
use crate::options::{Existing, TransferOptions};
use crate::proto::ascii::ToWire;
use crate::proto::dialog::expect;
use crate::proto::{announced_size, Command, ReplyClass, TransferType};

/// Bytes moved per local read or write: 1 MiB blocks measured 0.95× vs 0.89× the faster peer for a
/// 256 MiB STOR (fewer trips through the send timeout's timer).
const BLOCK: usize = 1024 * 1024;

impl FtpConnection {
    /// WinINet: FtpGetFile. Download `remote` into the local file `local`; returns the bytes
    /// written. [`Existing::Fail`] fails with ERROR_FILE_EXISTS (80) before anything is sent;
    /// [`Existing::Resume`] continues from the local file's size (`REST`, binary only). The
    /// notifications (RECEIVING_RESPONSE…, progress) and REQUEST_COMPLETE carry `context`.
    pub async fn get_file(
        &self,
        remote: &str,
        local: impl AsRef<Path>,
        options: TransferOptions,
        context: Context,
    ) -> Result<u64> {
        let op = self.get_op(remote, local.as_ref(), options)?;
        self.handle.with_call_context(context).run(op).await
    }

    /// [`get_file`](Self::get_file) in callback mode: REQUEST_COMPLETE carries the byte count.
    pub fn start_get_file(
        &self,
        remote: &str,
        local: impl AsRef<Path>,
        options: TransferOptions,
        context: Context,
    ) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        let op = self.get_op(remote, local.as_ref(), options)?;
        self.handle.with_call_context(context).start(op)
    }

    /// [`get_file`](Self::get_file), blocking.
    pub fn get_file_blocking(
        &self,
        remote: &str,
        local: impl AsRef<Path>,
        options: TransferOptions,
        context: Context,
    ) -> Result<u64> {
        let op = self.get_op(remote, local.as_ref(), options)?;
        self.handle.with_call_context(context).block(op)
    }

    /// WinINet: FtpPutFile. Upload the local file `local` as `remote`; returns the bytes sent.
    /// [`Existing::Resume`] sends only the part past the remote file's size (`SIZE`, then
    /// `APPE`); [`Existing::Fail`] fails with ERROR_FILE_EXISTS when `SIZE` finds the remote
    /// file.
    pub async fn put_file(
        &self,
        local: impl AsRef<Path>,
        remote: &str,
        options: TransferOptions,
        context: Context,
    ) -> Result<u64> {
        let op = self.put_op(local.as_ref(), remote, options)?;
        self.handle.with_call_context(context).run(op).await
    }

    /// [`put_file`](Self::put_file) in callback mode: REQUEST_COMPLETE carries the byte count.
    pub fn start_put_file(
        &self,
        local: impl AsRef<Path>,
        remote: &str,
        options: TransferOptions,
        context: Context,
    ) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        let op = self.put_op(local.as_ref(), remote, options)?;
        self.handle.with_call_context(context).start(op)
    }

    /// [`put_file`](Self::put_file), blocking.
    pub fn put_file_blocking(
        &self,
        local: impl AsRef<Path>,
        remote: &str,
        options: TransferOptions,
        context: Context,
    ) -> Result<u64> {
        let op = self.put_op(local.as_ref(), remote, options)?;
        self.handle.with_call_context(context).block(op)
    }

    /// Check what can be checked before anything is sent, and build the download.
    fn get_op(
        &self,
        remote: &str,
        local: &Path,
        options: TransferOptions,
    ) -> Result<impl Future<Output = Result<u64>> + Send + 'static> {
        let what = format!("downloading {remote:?} to {}", local.display());
        let cmd = Command::Retr(remote.to_string());
        cmd.to_bytes().map_err(|e| errors::protocol(&what, e))?;
        let offset = match options.existing {
            Existing::Fail if local.exists() => {
                return Err(Error::new(
                    ErrorKind::FileExists,
                    format!("{what}: {} exists", local.display()),
                ))
            }
            Existing::Resume => {
                if options.transfer_type != TransferType::Binary {
                    return Err(Error::new(
                        ErrorKind::InvalidParameter,
                        format!("{what}: resuming needs a binary transfer"),
                    ));
                }
                std::fs::metadata(local).map_or(0, |m| m.len())
            }
            _ => 0,
        };
        let (s, h) = self.parts();
        let local: PathBuf = local.to_path_buf();
        let remote_name = remote.to_string();
        Ok(async move {
            let mut ctl = s.lease(&h, &what).await?;
            if offset > 0 && ctl.features.size {
                // Resuming a file that is already whole would ask for bytes past its end.
                match ctl.size(&h, &remote_name, &what).await? {
                    Some(n) if n == offset => return Ok(0),
                    Some(n) if n < offset => {
                        return Err(Error::new(
                            ErrorKind::InvalidParameter,
                            format!("{what}: the local file ({offset} bytes) is larger than the remote one ({n})"),
                        ))
                    }
                    _ => {}
                }
            }
            let opened = data::open(
                &mut ctl,
                &h,
                &s.options,
                cmd.clone(),
                options.transfer_type,
                (offset > 0).then_some(offset),
                &what,
            )
            .await?;
            // Accepted: now the local file may be touched.
            let file = if offset > 0 {
                OpenOptions::new().append(true).open(&local)
            } else {
                File::create(&local)
            };
            let mut file = file.map_err(|e| errors::local(&what, &local, e, true))?;
            let total = announced_size(&opened.reply.text);
            let mut reader = Reader::dedicated(
                opened.data,
                Box::<inet_core::UntilClose>::default(),
                transform_for(options.transfer_type),
                total,
            );
            let mut buf = vec![0u8; BLOCK];
            let mut written = 0u64;
            let mut budget = Budget::default();
            loop {
                budget.spend().await;
                let n = reader.read(&h, &mut buf).await?;
                if n == 0 {
                    break;
                }
                file.write_all(&buf[..n])
                    .map_err(|e| errors::local(&what, &local, e, true))?;
                written += n as u64;
            }
            if opened.final_owed {
                let reply = ctl.final_reply(&h).await?;
                expect(&cmd, &reply, ReplyClass::Completion)
                    .map_err(|e| errors::dialog(&what, e))?;
            }
            file.flush()
                .map_err(|e| errors::local(&what, &local, e, true))?;
            Ok(written)
        })
    }

    /// Check what can be checked before anything is sent, and build the upload.
    fn put_op(
        &self,
        local: &Path,
        remote: &str,
        options: TransferOptions,
    ) -> Result<impl Future<Output = Result<u64>> + Send + 'static> {
        let what = format!("uploading {} to {remote:?}", local.display());
        let resume = options.existing == Existing::Resume;
        let cmd = if resume {
            Command::Appe(remote.to_string())
        } else {
            Command::Stor(remote.to_string())
        };
        cmd.to_bytes().map_err(|e| errors::protocol(&what, e))?;
        if resume && options.transfer_type != TransferType::Binary {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("{what}: resuming needs a binary transfer"),
            ));
        }
        let mut file = File::open(local).map_err(|e| errors::local(&what, local, e, false))?;
        let size = file
            .metadata()
            .map_err(|e| errors::local(&what, local, e, false))?
            .len();
        let (s, h) = self.parts();
        let (local, remote) = (local.to_path_buf(), remote.to_string());
        Ok(async move {
            let mut ctl = s.lease(&h, &what).await?;
            let mut skip = 0;
            if resume || options.existing == Existing::Fail {
                match (options.existing, ctl.size(&h, &remote, &what).await?) {
                    (Existing::Fail, Some(_)) => {
                        return Err(Error::new(
                            ErrorKind::FileExists,
                            format!("{what}: {remote:?} exists on the server"),
                        ))
                    }
                    (Existing::Resume, Some(n)) => skip = n.min(size),
                    _ => {}
                }
            }
            file.seek(SeekFrom::Start(skip))
                .map_err(|e| errors::local(&what, &local, e, false))?;
            let opened = data::open(
                &mut ctl,
                &h,
                &s.options,
                cmd.clone(),
                options.transfer_type,
                None,
                &what,
            )
            .await?;
            let mut data = opened.data;
            let mut progress = ProgressMeter::new(Direction::Send, Some(size - skip));
            let mut ascii = (options.transfer_type == TransferType::Ascii).then(ToWire::default);
            let mut buf = vec![0u8; BLOCK];
            let mut wire = Vec::new();
            let mut sent = 0u64;
            let mut budget = Budget::default();
            loop {
                budget.spend().await;
                let n = file
                    .read(&mut buf)
                    .map_err(|e| errors::local(&what, &local, e, false))?;
                if n == 0 {
                    break;
                }
                let chunk: &[u8] = match ascii.as_mut() {
                    Some(enc) => {
                        wire.clear();
                        enc.encode(&buf[..n], &mut wire);
                        &wire
                    }
                    None => &buf[..n],
                };
                data.write_all(chunk).await?;
                sent += n as u64;
                progress.add(&h, n as u64);
            }
            data.finish_sending().await?;
            progress.finish(&h);
            inet_core::close_connection(&h, data);
            if opened.final_owed {
                let reply = ctl.final_reply(&h).await?;
                expect(&cmd, &reply, ReplyClass::Completion)
                    .map_err(|e| errors::dialog(&what, e))?;
            }
            Ok(sent)
        })
    }
}
