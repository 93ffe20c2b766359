//! `POST /vision/{barcodes,equipment,invoice}`: a photo in (multipart or the raw image), the
//! typed reading out — gemini-vision's built-in extractors, each with its `responseSchema`
//! and value checks. The equipment reading is matched against ERPNext's Service Equipment
//! and the GenieACS device by GPON serial, serial and MAC, and (`?bind=true`, with
//! `devices:write`) the label binds them: the equipment's empty `acs_device_id`,
//! `gpon_serial` and `mac_address` are filled through the outbox.

use std::time::Instant;

use axum::Json;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{RawQuery, Request, State};
use frappe_client::Filter;
use gemini_vision::extractors::{Barcodes, EquipmentLabel, Extractor, Flag, Invoice};
use gemini_vision::{Extraction, Image};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Digest as _;
use utoipa::ToSchema;

use super::devices::{SourceError, SourceReport, equipment_source};
use crate::auth::{Caller, Capability};
use crate::error::AppError;
use crate::state::AppState;

/// Room for the multipart framing around the image.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// The multipart fields that may carry the image.
const IMAGE_FIELDS: [&str; 3] = ["image", "file", "photo"];

/// What the model read, and what it cost.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reading {
    /// `barcodes`, `equipment` or `invoice`.
    pub kind: &'static str,
    /// The typed reading (gemini-vision's `Barcodes`, `EquipmentLabel` or `Invoice`): values
    /// that passed their checks normalised, the others as read.
    #[schema(value_type = Object)]
    pub value: Box<serde_json::value::RawValue>,
    /// The values that failed their checks: `{field, problem, message}`.
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<Flag>,
    /// Why the reading holds nothing of its kind (no code in the photo, no identifier on the
    /// label, neither a total nor a line on the invoice), when it does not.
    pub nothing_found: Option<&'static str>,
    /// The model that answered.
    pub model: Option<String>,
    /// Tokens the image cost, when Gemini said.
    pub image_tokens: Option<u32>,
    /// Tokens the whole call cost, when Gemini said.
    pub total_tokens: Option<u32>,
    /// The photo's size as received, in bytes.
    pub received_bytes: usize,
    /// How long the reading took (ms).
    pub ms: u64,
}

/// An equipment label's reading, with the matching records.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquipmentReading {
    /// The reading.
    #[serde(flatten)]
    pub reading: Reading,
    /// The ERPNext Service Equipment the label matches (GPON serial, serial or MAC).
    pub equipment: Option<Value>,
    /// The GenieACS device the label (or the matched equipment) names: `id`, `serial`,
    /// `product_class`, `last_inform`.
    pub acs: Option<Value>,
    /// What binding did: `bound` (fields queued for ERPNext), `already_bound`, `conflict`
    /// (the equipment names another ACS device: nothing written), `not_requested`,
    /// `nothing_to_bind` (no equipment matched).
    pub binding: Binding,
    /// Each source's status.
    pub sources: Vec<SourceReport>,
}

/// The outcome of binding a label to its records.
#[derive(Debug, Serialize, ToSchema)]
pub struct Binding {
    /// `bound`, `already_bound`, `conflict`, `not_requested` or `nothing_to_bind`.
    pub status: &'static str,
    /// The fields queued for the Service Equipment.
    #[schema(value_type = Object)]
    pub fields: Value,
}

/// What every `/vision/*` route may answer instead of a reading (OpenAPI only).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum Refusals {
    /// 400.
    #[response(
        status = 400,
        description = "No image, an empty one, not an image, a damaged header, or a bad parameter"
    )]
    BadPhoto,
    /// 413.
    #[response(
        status = 413,
        description = "The photo is larger than GEMINI_MAX_IMAGE_BYTES"
    )]
    TooLarge,
    /// 415.
    #[response(status = 415, description = "Neither an image nor multipart/form-data")]
    NotAPhoto,
    /// 422.
    #[response(
        status = 422,
        description = "Gemini would not read it (blocked, stopped, could not process it)"
    )]
    Refused,
    /// 429.
    #[response(
        status = 429,
        description = "Gemini's quota is exhausted (retry_after_secs when known)"
    )]
    Quota,
    /// 502.
    #[response(
        status = 502,
        description = "Gemini refused the key or has no such model"
    )]
    Misconfigured,
    /// 503.
    #[response(status = 503, description = "Gemini is not configured or overloaded")]
    Unavailable,
    /// 504.
    #[response(status = 504, description = "No reading within GEMINI_DEADLINE_SECS")]
    Timeout,
}

/// Reads every barcode and 2-D code of a photo, with what each identifies (serial, MAC,
/// GPON serial); MACs, GPON serials and EAN/UPC check digits checked.
#[utoipa::path(post, path = "/vision/barcodes", tag = "vision",
    security(("staff" = ["vision"]), ("service_token" = ["vision"])),
    request_body(description = "The photo: the raw image (Content-Type image/jpeg, image/png, image/webp, image/heic, image/heif) or multipart/form-data with an `image` field", content_type = "image/jpeg", content = Vec<u8>),
    responses((status = 200, description = "The barcodes", body = Reading), Refusals))]
pub async fn barcodes(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Reading>, AppError> {
    let image = image_of(&state, req).await?;
    Ok(Json(read::<Barcodes>(&state, image).await?.0))
}

/// Reads a supplier invoice or receipt: vendor, number, dates, currency, subtotal, GST/QST
/// and other taxes, total, line items; dates, currency, tax numbers and totals checked.
#[utoipa::path(post, path = "/vision/invoice", tag = "vision",
    security(("staff" = ["billing"]), ("service_token" = ["billing"])),
    request_body(description = "The photo: the raw image or multipart/form-data with an `image` field", content_type = "image/jpeg", content = Vec<u8>),
    responses((status = 200, description = "The invoice", body = Reading), Refusals))]
pub async fn invoice(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Reading>, AppError> {
    let image = image_of(&state, req).await?;
    Ok(Json(read::<Invoice>(&state, image).await?.0))
}

/// Reads an equipment label (brand, model, serial, MACs, GPON serial, default Wi-Fi) and
/// finds its Service Equipment in ERPNext and its device in GenieACS. With `bind=true` (and
/// `devices:write`) the equipment's empty `acs_device_id`, `gpon_serial` and `mac_address`
/// are filled from the label and the ACS (queued; never overwritten).
#[utoipa::path(post, path = "/vision/equipment", tag = "vision",
    security(("staff" = ["devices:read"]), ("service_token" = ["devices:read"])),
    params(("bind" = Option<bool>, Query, description = "Fill the matched equipment's empty fields (needs devices:write)")),
    request_body(description = "The photo: the raw image or multipart/form-data with an `image` field", content_type = "image/jpeg", content = Vec<u8>),
    responses(
        (status = 200, description = "The label, its equipment and device", body = EquipmentReading),
        (status = 403, description = "bind=true without devices:write"),
        Refusals,
    ))]
pub async fn equipment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Json<EquipmentReading>, AppError> {
    let params = super::query_params(raw.as_deref(), &["bind"])?;
    let bind = match params.last().map(|(_, v)| v.as_str()) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid("bind", "bind must be true or false")),
    };
    if bind && !caller.can(Capability::DevicesWrite) {
        return Err(AppError::forbidden(
            "bind=true writes to the equipment: it needs devices:write",
        ));
    }
    // The lookups share the request's lookup deadline with the reading: a slow reading leaves
    // them less time (their sources then say `timeout`), so the answer stays within it.
    let deadline = Instant::now() + state.settings.lookup_deadline;
    let image = image_of(&state, req).await?;
    let (reading, label) = read::<EquipmentLabel>(&state, image).await?;
    let (erp_report, equipment) =
        super::devices::run_source("erpnext", deadline, match_equipment(&state, &label)).await;
    let (acs_report, acs) = super::devices::run_source(
        "genieacs",
        deadline,
        match_device(&state, &label, equipment.as_ref()),
    )
    .await;
    let binding = if bind {
        bind_equipment(&state, &label, equipment.as_ref(), acs.as_ref()).await?
    } else {
        Binding {
            status: "not_requested",
            fields: json!({}),
        }
    };
    Ok(Json(EquipmentReading {
        reading,
        equipment,
        acs,
        binding,
        sources: vec![erp_report, acs_report],
    }))
}

/// Reads `image` with extractor `E` under the configured deadline.
async fn read<E: Extractor>(state: &AppState, image: Image) -> Result<(Reading, E), AppError> {
    let client = state
        .vision
        .as_ref()
        .ok_or_else(|| AppError::not_configured("gemini", &["GEMINI_API_KEY"]))?;
    let received_bytes = image.bytes().len();
    let started = Instant::now();
    let extraction: Extraction<E> =
        crate::upstream::timed("gemini", E::KIND.as_str(), client.read::<E>(image))
            .await
            .map_err(|e| from_gemini(&e))?;
    let usage = extraction.usage.as_ref();
    let reading = Reading {
        kind: E::KIND.as_str(),
        // Serialised as is: the fields in the type's order, as documented.
        value: serde_json::value::to_raw_value(&extraction.value).map_err(AppError::internal)?,
        flags: extraction.flags.clone(),
        nothing_found: extraction.value.nothing_found(),
        model: extraction.model_version.clone(),
        image_tokens: usage.and_then(|u| u.prompt_tokens_of("IMAGE")),
        total_tokens: usage.and_then(|u| u.total_token_count),
        received_bytes,
        ms: started.elapsed().as_millis() as u64,
    };
    metrics::counter!("hub_vision_flags_total", "kind" => E::KIND.as_str())
        .increment(reading.flags.len() as u64);
    Ok((reading, extraction.value))
}

/// The photo of a request: the raw body for an image content type, the `image` (or `file`,
/// `photo`) field of a multipart form; checked to be a non-empty image within the limit.
async fn image_of(state: &AppState, req: Request) -> Result<Image, AppError> {
    let limit = state
        .settings
        .gemini
        .as_ref()
        .map_or(10 * 1024 * 1024, |g| g.max_image_bytes);
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let too_large = || {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the photo is larger than {limit} bytes"),
        )
        .with_field("limit_bytes", limit)
    };
    let (bytes, declared) = if essence == "multipart/form-data" {
        let boundary = multer::parse_boundary(&content_type)
            .map_err(|_| AppError::invalid("image", "multipart/form-data without a boundary"))?;
        let body = read_body(req.into_body(), limit + MULTIPART_OVERHEAD)
            .await
            .ok_or_else(too_large)?;
        let (bytes, declared) = multipart_image(body, boundary, limit).await?;
        (bytes, declared)
    } else if essence.starts_with("image/") || essence == "application/octet-stream" {
        let bytes = read_body(req.into_body(), limit)
            .await
            .ok_or_else(too_large)?;
        (
            bytes,
            (essence != "application/octet-stream").then_some(essence),
        )
    } else {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the photo as the body (Content-Type: image/jpeg, image/png, ...) or as the `image` field of multipart/form-data",
        ));
    };
    if bytes.len() > limit {
        return Err(too_large());
    }
    // The bytes decide the format: a declared type must agree with them where they are
    // recognisable (a PDF sent as image/jpeg is not an image).
    let image = match Image::new(bytes.clone()) {
        Ok(img) => img,
        Err(gemini_vision::Error::InvalidImage(m)) if bytes.is_empty() => {
            return Err(AppError::invalid("image", m));
        }
        Err(gemini_vision::Error::InvalidImage(m)) => {
            return Err(AppError::invalid(
                "image",
                match declared {
                    Some(d) => format!("{m} (declared {d})"),
                    None => m,
                },
            ));
        }
        Err(e) => return Err(AppError::invalid("image", e.to_string())),
    };
    // A JPEG or PNG whose header does not decode (cut short, damaged) is refused here rather
    // than sent.
    if let Err(e) = image.dimensions() {
        return Err(AppError::invalid("image", e.to_string()));
    }
    Ok(image)
}

/// The body, or `None` when it is larger than `limit`.
async fn read_body(body: Body, limit: usize) -> Option<Bytes> {
    to_bytes(body, limit).await.ok()
}

/// The image field of a multipart body (already bounded in size).
async fn multipart_image(
    body: Bytes,
    boundary: String,
    limit: usize,
) -> Result<(Bytes, Option<String>), AppError> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let bad =
        |e: multer::Error| AppError::invalid("image", format!("malformed multipart body: {e}"));
    let mut names = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if IMAGE_FIELDS.contains(&name.as_str()) {
            let declared = field.content_type().map(|m| m.essence_str().to_owned());
            let bytes = field.bytes().await.map_err(bad)?;
            if bytes.len() > limit {
                return Err(AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the photo is larger than {limit} bytes"),
                )
                .with_field("limit_bytes", limit));
            }
            return Ok((bytes, declared));
        }
        names.push(name);
    }
    Err(AppError::invalid(
        "image",
        format!(
            "no `image` field in the form (fields: {})",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ),
    ))
}

/// The hub's answer for a failed reading: the model refusing the photo is a 422, a quota a
/// 429, Gemini down or misconfigured a 502/503, the deadline a 504.
pub(crate) fn from_gemini(e: &gemini_vision::Error) -> AppError {
    use gemini_vision::Error as G;
    const UP: &str = "gemini";
    match e {
        G::InvalidImage(m) | G::InvalidInput(m) => AppError::invalid("image", m.clone()),
        G::Blocked { reason } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "vision_refused",
            format!("Gemini would not read this photo (blocked: {reason})"),
        )
        .with_field("reason", reason.to_string()),
        G::Finished { reason, .. } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "vision_refused",
            format!("Gemini stopped before giving a reading ({reason})"),
        )
        .with_field("reason", reason.to_string()),
        G::Api { status, .. } if *status == StatusCode::BAD_REQUEST => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "vision_refused",
            format!("Gemini could not process the photo: {e}"),
        ),
        G::QuotaExhausted {
            retry_after,
            per_day,
            ..
        } => {
            let mut err = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "quota_exhausted",
                if *per_day {
                    "Gemini's daily quota is exhausted".to_owned()
                } else {
                    "Gemini's quota is exhausted; try again shortly".to_owned()
                },
            )
            .with_field("upstream", UP);
            if let Some(w) = retry_after {
                err = err.with_field("retry_after_secs", w.as_secs().max(1));
            }
            err
        }
        G::Unavailable { .. } => AppError::upstream(
            UP,
            StatusCode::SERVICE_UNAVAILABLE,
            "Gemini is overloaded; try again shortly",
        ),
        G::Timeout(d) => AppError::upstream(
            UP,
            StatusCode::GATEWAY_TIMEOUT,
            format!("no reading within {} ms", d.as_millis()),
        ),
        G::InvalidApiKey { .. } => AppError::upstream(
            UP,
            StatusCode::BAD_GATEWAY,
            "Gemini refused the hub's API key: configure GEMINI_API_KEY",
        ),
        G::ModelNotFound { model, .. } => AppError::upstream(
            UP,
            StatusCode::BAD_GATEWAY,
            format!("Gemini has no model {model:?} (retired?): configure GEMINI_MODEL"),
        ),
        other => AppError::upstream(
            UP,
            StatusCode::BAD_GATEWAY,
            format!("Gemini failed: {other}"),
        ),
    }
}

/// The Service Equipment a label names: by GPON serial, serial, then MAC (checked values).
async fn match_equipment(
    state: &AppState,
    label: &EquipmentLabel,
) -> Result<Option<Value>, SourceError> {
    let mut tries: Vec<Filter> = Vec::new();
    if let Some(g) = label.checked_gpon_serial() {
        tries.push(Filter::eq("gpon_serial", g));
        tries.push(Filter::eq("serial_number", g));
    }
    if let Some(s) = label.serial.as_deref() {
        tries.push(Filter::eq("serial_number", s));
    }
    for m in label.checked_macs() {
        tries.push(Filter::eq("mac_address", m));
    }
    if tries.is_empty() {
        return Ok(None);
    }
    for filter in tries {
        if let Some(found) = equipment_source(state, filter).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The GenieACS device a label (or its matched equipment) names, by serial number.
async fn match_device(
    state: &AppState,
    label: &EquipmentLabel,
    equipment: Option<&Value>,
) -> Result<Option<Value>, SourceError> {
    let client = state
        .genieacs()
        .map_err(|e| SourceError::NotConfigured(e.message))?;
    let mut serials: Vec<&str> = Vec::new();
    for s in [
        label.serial.as_deref(),
        label.gpon_serial.as_deref(),
        equipment.and_then(|e| e["serial_number"].as_str()),
    ]
    .into_iter()
    .flatten()
    {
        if !serials.contains(&s) {
            serials.push(s);
        }
    }
    let devices = client.devices();
    for serial in serials {
        if super::devices::checked_key("serial", serial).is_err() {
            continue;
        }
        let found =
            crate::upstream::timed("genieacs", "find_by_serial", devices.find_by_serial(serial))
                .await
                .map_err(|e| SourceError::Failed(e.to_string()))?;
        if let Some(d) = found.into_iter().next() {
            return Ok(Some(json!({
                "id": d.id.to_string(),
                "serial": d.identity.serial_number,
                "product_class": d.identity.product_class,
                "manufacturer": d.identity.manufacturer,
                "last_inform": d.last_inform,
                "tags": d.tags,
            })));
        }
    }
    Ok(None)
}

/// Queues the fields the label and the ACS can fill on the matched equipment.
async fn bind_equipment(
    state: &AppState,
    label: &EquipmentLabel,
    equipment: Option<&Value>,
    acs: Option<&Value>,
) -> Result<Binding, AppError> {
    let Some(equipment) = equipment else {
        return Ok(Binding {
            status: "nothing_to_bind",
            fields: json!({}),
        });
    };
    let Some(name) = equipment["name"].as_str() else {
        return Ok(Binding {
            status: "nothing_to_bind",
            fields: json!({}),
        });
    };
    let empty = |field: &str| {
        equipment[field]
            .as_str()
            .is_none_or(|v| v.trim().is_empty())
    };
    let mut fields = serde_json::Map::new();
    if let Some(id) = acs.and_then(|a| a["id"].as_str()) {
        match equipment["acs_device_id"]
            .as_str()
            .filter(|v| !v.is_empty())
        {
            Some(bound) if bound != id => {
                return Ok(Binding {
                    status: "conflict",
                    fields: json!({"acs_device_id": bound, "label_device": id}),
                });
            }
            Some(_) => {}
            None => {
                fields.insert("acs_device_id".into(), json!(id));
            }
        }
    }
    if empty("gpon_serial")
        && let Some(g) = label.checked_gpon_serial()
    {
        fields.insert("gpon_serial".into(), json!(g));
    }
    if empty("mac_address")
        && let Some(m) = label.checked_macs().next()
    {
        fields.insert("mac_address".into(), json!(m));
    }
    if fields.is_empty() {
        return Ok(Binding {
            status: "already_bound",
            fields: json!({}),
        });
    }
    let write = json!({
        "doctype": "Service Equipment",
        "name": name,
        "fields": fields,
    });
    // One write per equipment and content: a retried scan queues nothing new.
    let digest = sha2::Sha256::digest(write.to_string().as_bytes());
    let key = format!(
        "vision:{name}:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    state
        .store
        .outbox()
        .enqueue(
            "frappe.update",
            &key,
            &json!({}),
            write.to_string().as_bytes(),
            Some(name),
            false,
        )
        .await?;
    state.outbox_wake.notify_one();
    Ok(Binding {
        status: "bound",
        fields: Value::Object(fields),
    })
}
