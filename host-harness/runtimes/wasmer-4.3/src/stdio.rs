//! The guest's stdout and stderr: synchronous writes to the runner's own file descriptors.
//!
//! wasmer's default stdio goes through tokio, whose writes complete on a thread pool after
//! `fd_write` has returned to the guest. The runner ends with `process::exit` as soon as the
//! guest has exited (that is what stops guest threads that never return), and a write still in
//! that pool would be lost. Writing before `fd_write` returns means that everything the guest
//! wrote is out when it exits. It also lets the runner point its own fds 1 and 2 (where wasmer
//! prints its diagnostics) at the log file while the guest keeps the real streams.

use std::fs::File;
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use wasmer_wasix::virtual_fs;
use wasmer_wasix::VirtualFile;

#[derive(Debug)]
pub struct HostOutput {
    file: File,
    fd: u32,
}

impl HostOutput {
    /// Wraps `file` as the guest's file descriptor `fd` (1 or 2).
    pub fn new(file: File, fd: u32) -> Self {
        Self { file, fd }
    }
}

impl AsyncWrite for HostOutput {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.file.write_all(buf).map(|()| buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.file.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for HostOutput {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Err(io::Error::other("this stream is write-only")))
    }
}

impl AsyncSeek for HostOutput {
    fn start_seek(self: Pin<&mut Self>, _position: io::SeekFrom) -> io::Result<()> {
        Err(io::Error::other("cannot seek a standard stream"))
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::Error::other("cannot seek a standard stream")))
    }
}

impl VirtualFile for HostOutput {
    fn last_accessed(&self) -> u64 {
        0
    }
    fn last_modified(&self) -> u64 {
        0
    }
    fn created_time(&self) -> u64 {
        0
    }
    fn size(&self) -> u64 {
        0
    }
    fn set_len(&mut self, _new_size: u64) -> virtual_fs::Result<()> {
        Ok(())
    }
    fn unlink(&mut self) -> virtual_fs::Result<()> {
        Ok(())
    }
    fn get_special_fd(&self) -> Option<u32> {
        Some(self.fd)
    }
    fn poll_read_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
    fn poll_write_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(64 * 1024))
    }
}
