//! A stand-in for S3 on loopback, serving a folder: enough of the S3 REST
//! API for an object store client to read a warehouse (path-style requests:
//! `GET /BUCKET?list-type=2&prefix=…` lists, `GET` and `HEAD /BUCKET/KEY`
//! read, with byte ranges). Each bucket is a subfolder of the root; requests
//! are not signed-checked. For tests only: sprout talks to it as to any
//! S3-compatible store, through `AWS_ENDPOINT_URL`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running stand-in; it stops with the test process.
pub struct FakeS3 {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Object reads (`GET` of a key) answered so far.
    pub reads: Arc<AtomicUsize>,
}

impl FakeS3 {
    /// Serve `root` (one subfolder per bucket).
    pub fn serve(root: &Path) -> FakeS3 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let reads = Arc::new(AtomicUsize::new(0));
        let (root, counted) = (root.to_path_buf(), reads.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, counted) = (root.clone(), counted.clone());
                std::thread::spawn(move || connection(stream, &root, &counted));
            }
        });
        FakeS3 { endpoint, reads }
    }

    /// The environment a client needs to use it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "eu-west-2".into()),
        ]
    }
}

/// Answer requests on one kept-alive connection until the client closes it.
fn connection(stream: TcpStream, root: &Path, reads: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if let Some(length) = header("content-length").and_then(|l| l.parse::<u64>().ok()) {
            std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink()).unwrap();
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = decode(path);
        let params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let (bucket, key) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or((path.trim_start_matches('/'), ""));
        let response = if param("list-type").is_some() {
            list(
                root,
                bucket,
                &param("prefix").unwrap_or_default(),
                param("delimiter").as_deref(),
            )
        } else {
            if method == "GET" {
                reads.fetch_add(1, Ordering::Relaxed);
            }
            object(&root.join(bucket).join(key), header("range").as_deref())
        };
        let (status, extra, body) = response;
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nLast-Modified: Mon, 07 Dec 2026 00:00:00 GMT\r\nETag: \"{}\"\r\n",
            body.len(),
            body.len()
        );
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method != "HEAD" && writer.write_all(&body).is_err() {
            return;
        }
    }
}

type Response = (&'static str, Vec<(&'static str, String)>, Vec<u8>);

/// The file at `path`, whole or the byte range asked (`bytes=a-b`, `a-`, `-n`).
fn object(path: &Path, range: Option<&str>) -> Response {
    let Ok(bytes) = std::fs::read(path) else {
        return (
            "404 Not Found",
            vec![("Content-Type", "application/xml".into())],
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>".to_vec(),
        );
    };
    let total = bytes.len();
    let Some(range) = range.and_then(|r| r.strip_prefix("bytes=")) else {
        return ("200 OK", vec![], bytes);
    };
    let (start, end) = range.split_once('-').unwrap();
    let (start, end) = match (start.parse::<usize>(), end.parse::<usize>()) {
        (Ok(s), Ok(e)) => (s, e.min(total - 1)),
        (Ok(s), Err(_)) => (s, total - 1),
        (Err(_), Ok(n)) => (total.saturating_sub(n), total - 1),
        _ => panic!("range {range}"),
    };
    (
        "206 Partial Content",
        vec![("Content-Range", format!("bytes {start}-{end}/{total}"))],
        bytes[start..=end].to_vec(),
    )
}

/// ListObjectsV2 of `bucket` under `prefix`, every key in one page.
fn list(root: &Path, bucket: &str, prefix: &str, delimiter: Option<&str>) -> Response {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let base = root.join(bucket);
    let mut files = Vec::new();
    walk(&base, &mut files);
    let mut keys: Vec<(String, u64)> = files
        .iter()
        .map(|f| {
            let key = f
                .strip_prefix(&base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (key, std::fs::metadata(f).unwrap().len())
        })
        .filter(|(key, _)| key.starts_with(prefix))
        .collect();
    keys.sort();
    let mut contents = String::new();
    let mut common: Vec<String> = Vec::new();
    for (key, size) in &keys {
        let rest = &key[prefix.len()..];
        if let Some(d) = delimiter
            && let Some(at) = rest.find(d)
        {
            let folder = format!("{prefix}{}", &rest[..at + d.len()]);
            if !common.contains(&folder) {
                common.push(folder);
            }
            continue;
        }
        contents.push_str(&format!(
            "<Contents><Key>{key}</Key><LastModified>2026-12-07T00:00:00.000Z</LastModified><ETag>\"{size}\"</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        ));
    }
    for folder in &common {
        contents.push_str(&format!(
            "<CommonPrefixes><Prefix>{folder}</Prefix></CommonPrefixes>"
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name><Prefix>{prefix}</Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>",
        keys.len()
    );
    (
        "200 OK",
        vec![("Content-Type", "application/xml".into())],
        body.into_bytes(),
    )
}

/// `%XX` escapes decoded (and `+` kept: S3 paths use `%20`).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}
