//! Profile photos: checked, resized and re-encoded on the server before they are stored.
//!
//! Whatever a person uploads (JPEG, PNG, WebP or GIF up to 10 MB) is decoded, turned the
//! right way up, scaled to fit 512 × 512 and written out as a fresh JPEG. Re-encoding means
//! nothing of the original file survives: no EXIF metadata such as GPS position or camera
//! serial, no embedded thumbnail, no trailing payload.

use super::profile::{me, Profile};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{circle_memberships, event_registrations, events, user_photos, users};
use db::sea_orm::sea_query::OnConflict;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use domain::circle::{CircleRole, MembershipStatus};
use domain::event::RegistrationStatus;
use domain::{DomainError, Role};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use uuid::Uuid;

/// The largest upload accepted, in bytes (10 MiB).
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Stored photos fit in a square of this many pixels.
pub const PHOTO_MAX_SIDE: u32 = 512;
/// The type every stored photo has.
pub const PHOTO_CONTENT_TYPE: &str = "image/jpeg";
const JPEG_QUALITY: u8 = 85;
/// Larger images are refused before decoding: a small file can declare huge dimensions
/// (a "decompression bomb": 550 KB of PNG can unpack to 11,900 × 11,900 pixels, over half a
/// gigabyte). 40 megapixels covers the cameras people carry.
pub const MAX_SOURCE_PIXELS: u64 = 40_000_000;
/// No side longer than this, however narrow the other.
const MAX_SOURCE_SIDE: u32 = 12_000;
/// What decoding the largest accepted image may allocate (40 MP of RGBA, and slack).
const MAX_DECODE_ALLOC: u64 = 200 * 1024 * 1024;
/// Photos decoded at once; more uploads wait their turn.
pub const IMAGE_WORKERS: usize = 2;
/// How long an upload waits for a turn before the server says it is busy.
const IMAGE_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A stored photo, ready to send.
#[derive(Debug, Clone)]
pub struct Photo {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

fn photo_error(message: impl Into<String>) -> DomainError {
    DomainError::new("photo", message)
}

/// Decodes an uploaded image and re-encodes it as a JPEG that fits the photo square.
/// Returns the JPEG bytes; every refusal is filed under the `photo` field.
pub fn process_photo(upload: &[u8]) -> std::result::Result<Vec<u8>, DomainError> {
    if upload.is_empty() {
        return Err(photo_error("Choose a photo to upload."));
    }
    if upload.len() > MAX_PHOTO_BYTES {
        return Err(photo_error(format!(
            "This file is {:.1} MB; a photo can be at most 10 MB. Try a smaller one or resize it first.",
            upload.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    let unreadable =
        || photo_error("This file is not a photo we can read: use a JPEG, PNG, WebP or GIF image.");
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    // Only the formats we mean to accept, whatever else the decoder may learn in future.
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(unreadable());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let decode_error = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => too_many_pixels(),
        _ => unreadable(),
    };
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // The header is read; the pixels are not. Refuse here what would be too costly.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_SOURCE_PIXELS {
        return Err(too_many_pixels());
    }
    // Phones store photos sideways and say so in EXIF; apply it before EXIF is dropped.
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width() > PHOTO_MAX_SIDE || img.height() > PHOTO_MAX_SIDE {
        // `resize` keeps the aspect ratio and fits the whole image inside the square.
        img = img.resize(
            PHOTO_MAX_SIDE,
            PHOTO_MAX_SIDE,
            image::imageops::FilterType::Lanczos3,
        );
    }
    let rgb = flatten_on_white(img);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| photo_error(format!("This photo could not be saved ({e}).")))?;
    Ok(out)
}

fn too_many_pixels() -> DomainError {
    photo_error(format!(
        "This image has too many pixels: at most {} megapixels (and {MAX_SOURCE_SIDE} pixels a side). Resize it and try again.",
        MAX_SOURCE_PIXELS / 1_000_000
    ))
}

/// JPEG has no transparency: paint transparent parts white (as the page background of a
/// light theme), rather than letting them turn black.
fn flatten_on_white(img: DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (to, from) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = from.0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        to.0 = [blend(r), blend(g), blend(b)];
    }
    rgb
}

/// Replaces my profile photo with `upload`, resized and re-encoded. On any problem the
/// old photo stays.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn set_photo(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    upload: Vec<u8>,
) -> Result<Profile> {
    actor.require::<crate::authz::can::ManageOwnAccount>()?;
    let original_bytes = upload.len();
    // Decoding and resizing take tens of milliseconds of CPU and up to 200 MB: keep them
    // off the async threads, and only a couple at a time.
    let _turn = tokio::time::timeout(IMAGE_QUEUE_WAIT, ctx.image_work.acquire())
        .await
        .map_err(|_| Error::Busy {
            retry_after_secs: IMAGE_QUEUE_WAIT.as_secs(),
        })?
        .map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
    let jpeg = tokio::task::spawn_blocking(move || process_photo(&upload))
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e)))??;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let current = super::find_user(&txn, actor.id()).await?;
    // A timestamp, and always larger than before: a removed and re-added photo never
    // reuses a URL that a browser may still hold in its cache.
    let version = now
        .timestamp_millis()
        .max(current.photo_version.map_or(0, |v| v + 1));
    let stored_bytes = jpeg.len();
    user_photos::Entity::insert(user_photos::ActiveModel {
        user_id: Set(actor.id()),
        content_type: Set(PHOTO_CONTENT_TYPE.to_owned()),
        bytes: Set(jpeg),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(user_photos::Column::UserId)
            .update_columns([
                user_photos::Column::ContentType,
                user_photos::Column::Bytes,
                user_photos::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    let updated = users::ActiveModel {
        id: Set(actor.id()),
        photo_version: Set(Some(version)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ProfilePhotoUpdated)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({
                "uploaded_bytes": original_bytes,
                "stored_bytes": stored_bytes,
            })),
    )
    .await?;
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(actor.id())).await;
    let mut actor = actor.clone();
    actor.user = updated;
    me(ctx, &actor).await
}

/// Removes my profile photo (nothing happens when there is none).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn remove_photo(ctx: &Context, meta: &RequestMeta, actor: &Actor) -> Result<Profile> {
    actor.require::<crate::authz::can::ManageOwnAccount>()?;
    let txn = db::begin_write(&ctx.main).await?;
    let current = super::find_user(&txn, actor.id()).await?;
    let deleted = user_photos::Entity::delete_by_id(actor.id())
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 && current.photo_version.is_none() {
        txn.commit().await?;
        let mut actor = actor.clone();
        actor.user = current;
        return me(ctx, &actor).await;
    }
    let updated = users::ActiveModel {
        id: Set(actor.id()),
        photo_version: Set(None),
        updated_at: Set(ctx.now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ProfilePhotoRemoved)
            .by(actor.id())
            .user(actor.id()),
    )
    .await?;
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(actor.id())).await;
    let mut actor = actor.clone();
    actor.user = updated;
    me(ctx, &actor).await
}

/// A member's profile photo, for the people who know him: himself, those who share an
/// active circle or an event with him (attending or organising it), the leaders of a
/// circle he asks to join (his request shows it), and Admins and Support.
/// To anyone else there is no photo (`NotFound`), so an id alone reveals nothing.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), user_id = %user_id), err(level = "info"))]
pub async fn photo(ctx: &Context, actor: &Actor, user_id: Uuid) -> Result<Option<Photo>> {
    actor.require::<crate::authz::can::Participate>()?;
    let staff = actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Support));
    if actor.id() != user_id && !staff && !knows(ctx, actor.id(), user_id).await? {
        return Err(Error::NotFound("photo"));
    }
    Ok(user_photos::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .map(|p| Photo {
            content_type: p.content_type,
            bytes: p.bytes,
        }))
}

/// Whether `viewer` and `subject` share an active circle, `viewer` leads a circle
/// `subject` asks to join, or one of them attends an event the other attends or organised.
async fn knows(ctx: &Context, viewer: Uuid, subject: Uuid) -> Result<bool> {
    let active = |user: Uuid| {
        circle_memberships::Entity::find()
            .select_only()
            .column(circle_memberships::Column::CircleId)
            .filter(circle_memberships::Column::UserId.eq(user))
            .filter(circle_memberships::Column::Status.eq(MembershipStatus::Active))
    };
    let mine: Vec<Uuid> = active(viewer).into_tuple().all(&ctx.main).await?;
    if !mine.is_empty() {
        let shared: Option<Uuid> = active(subject)
            .filter(circle_memberships::Column::CircleId.is_in(mine))
            .into_tuple()
            .one(&ctx.main)
            .await?;
        if shared.is_some() {
            return Ok(true);
        }
    }
    // A leader weighing his request to join sees his face on the queue.
    let leading: Vec<Uuid> = active(viewer)
        .filter(circle_memberships::Column::Role.is_in(CircleRole::leading()))
        .into_tuple()
        .all(&ctx.main)
        .await?;
    if !leading.is_empty() {
        let asked: Option<Uuid> = circle_memberships::Entity::find()
            .select_only()
            .column(circle_memberships::Column::CircleId)
            .filter(circle_memberships::Column::UserId.eq(subject))
            .filter(circle_memberships::Column::Status.eq(MembershipStatus::Requested))
            .filter(circle_memberships::Column::CircleId.is_in(leading))
            .into_tuple()
            .one(&ctx.main)
            .await?;
        if asked.is_some() {
            return Ok(true);
        }
    }
    let (viewer_attends, viewer_organised) = events_of(ctx, viewer).await?;
    let (subject_attends, subject_organised) = events_of(ctx, subject).await?;
    let meet = |a: &[Uuid], b: &[Uuid]| a.iter().any(|e| b.contains(e));
    Ok(meet(&viewer_attends, &subject_attends)
        || meet(&viewer_organised, &subject_attends)
        || meet(&viewer_attends, &subject_organised))
}

/// The events `user` attends (any registration not cancelled) and those he organised.
async fn events_of(ctx: &Context, user: Uuid) -> Result<(Vec<Uuid>, Vec<Uuid>)> {
    let attending: Vec<Uuid> = event_registrations::Entity::find()
        .select_only()
        .column(event_registrations::Column::EventId)
        .filter(event_registrations::Column::UserId.eq(user))
        .filter(event_registrations::Column::Status.ne(RegistrationStatus::Cancelled))
        .into_tuple()
        .all(&ctx.main)
        .await?;
    let organised: Vec<Uuid> = events::Entity::find()
        .select_only()
        .column(events::Column::Id)
        .filter(events::Column::OrganiserId.eq(user))
        .into_tuple()
        .all(&ctx.main)
        .await?;
    Ok((attending, organised))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32, alpha: u8) -> Vec<u8> {
        let img = RgbaImage::from_fn(width, height, |x, y| {
            Rgba([(x % 256) as u8, (y % 256) as u8, 90, alpha])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&img, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    fn decoded(jpeg: &[u8]) -> DynamicImage {
        let reader = ImageReader::new(Cursor::new(jpeg))
            .with_guessed_format()
            .unwrap();
        assert_eq!(reader.format(), Some(ImageFormat::Jpeg));
        reader.decode().unwrap()
    }

    #[test]
    fn large_photos_are_scaled_to_fit_keeping_aspect() {
        let out = decoded(&process_photo(&png(2000, 1000, 255)).unwrap());
        assert_eq!((out.width(), out.height()), (512, 256));
        let out = decoded(&process_photo(&png(300, 1200, 255)).unwrap());
        assert_eq!((out.width(), out.height()), (128, 512));
    }

    #[test]
    fn small_photos_are_not_enlarged() {
        let out = decoded(&process_photo(&png(40, 30, 255)).unwrap());
        assert_eq!((out.width(), out.height()), (40, 30));
    }

    #[test]
    fn transparency_becomes_white() {
        let out = decoded(&process_photo(&png(8, 8, 0)).unwrap()).into_rgb8();
        assert!(
            out.pixels().all(|p| p.0.iter().all(|c| *c > 240)),
            "{:?}",
            out.get_pixel(0, 0)
        );
    }

    #[test]
    fn non_images_and_empty_files_are_refused_under_photo() {
        for bad in [
            &b""[..],
            b"hello, this is text",
            b"%PDF-1.7\n...",
            &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
        ] {
            let e = process_photo(bad).unwrap_err();
            assert_eq!(e.field, "photo");
        }
    }

    /// The first bytes of a PNG that declares `width` × `height` pixels: signature and
    /// header chunk, then a scrap of image data. Enough to be judged by its header alone.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut crc = !0u32;
            for b in bytes {
                crc ^= u32::from(*b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        // 8-bit greyscale, deflate, no filter method quirks, not interlaced.
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 2, b'I', b'D', b'A', b'T', 0x78, 0x9C]);
        out
    }

    #[test]
    fn images_over_forty_megapixels_are_refused_from_their_header() {
        let e = process_photo(&png_header(11_900, 11_900)).unwrap_err();
        assert_eq!(e.field, "photo");
        assert!(e.message.contains("40 megapixels"), "{}", e.message);
        // A long thin strip under 40 MP but over the side limit is refused too.
        let e = process_photo(&png_header(20_000, 10)).unwrap_err();
        assert!(e.message.contains("megapixels"), "{}", e.message);
        // Within the limits, the same truncated file is merely unreadable.
        let e = process_photo(&png_header(6_000, 6_000)).unwrap_err();
        assert!(
            e.message.contains("not a photo we can read"),
            "{}",
            e.message
        );
    }

    #[test]
    fn files_over_ten_megabytes_are_refused() {
        let e = process_photo(&vec![0u8; MAX_PHOTO_BYTES + 1]).unwrap_err();
        assert_eq!(e.field, "photo");
        assert!(e.message.contains("10 MB"), "{}", e.message);
    }

    #[test]
    fn metadata_does_not_survive() {
        // A JPEG with an EXIF segment carrying a GPS-like marker string.
        let mut rgb = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut rgb)
            .encode(
                &[200u8; 16 * 16 * 3],
                16,
                16,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        let exif = b"Exif\0\0GPSLatitude 52.52 secret";
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(exif);
        with_exif.extend_from_slice(&rgb[2..]);
        let out = process_photo(&with_exif).unwrap();
        assert!(!out.windows(6).any(|w| w == b"secret"));
        assert!(!out.windows(4).any(|w| w == b"Exif"));
    }
}
