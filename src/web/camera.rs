//! What can go wrong with the camera of the live view, told apart from the browser's error
//! names (DOM-free, tested natively); `i18n` words each in the visitor's language.

/// Why the live view has no camera (or lost it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraProblem {
    /// The visitor (or the browser's settings) refused the camera.
    Refused,
    /// No camera on this device (or none that fits).
    NotFound,
    /// Another app holds the camera, or the system would not start it.
    Busy,
    /// The camera stopped while the view was open (unplugged, taken by another app).
    Lost,
    /// No camera API here: an old browser, or a page that is not https://.
    NoApi,
    /// Something else, in the browser's words.
    Other(String),
}

impl CameraProblem {
    /// From a `getUserMedia` rejection: the DOMException's `name` and `message`.
    pub fn from_error(name: &str, message: &str) -> Self {
        match name {
            "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => CameraProblem::Refused,
            "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" | "ConstraintNotSatisfiedError" => CameraProblem::NotFound,
            "NotReadableError" | "TrackStartError" | "AbortError" => CameraProblem::Busy,
            // No `navigator.mediaDevices` (an insecure page) makes the call itself a TypeError.
            "TypeError" if message.contains("mediaDevices") || message.contains("getUserMedia") => CameraProblem::NoApi,
            "" => CameraProblem::Other(message.to_string()),
            _ if message.is_empty() => CameraProblem::Other(name.to_string()),
            _ => CameraProblem::Other(format!("{name}: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_errors_are_told_apart() {
        assert_eq!(CameraProblem::from_error("NotAllowedError", "Permission denied"), CameraProblem::Refused);
        assert_eq!(CameraProblem::from_error("NotFoundError", "Requested device not found"), CameraProblem::NotFound);
        assert_eq!(CameraProblem::from_error("OverconstrainedError", ""), CameraProblem::NotFound);
        assert_eq!(CameraProblem::from_error("NotReadableError", "Could not start video source"), CameraProblem::Busy);
        assert_eq!(CameraProblem::from_error("TypeError", "Cannot read properties of undefined (reading 'getUserMedia')"), CameraProblem::NoApi);
        assert_eq!(CameraProblem::from_error("TypeError", "x is not a function"), CameraProblem::Other("TypeError: x is not a function".into()));
        assert_eq!(CameraProblem::from_error("WeirdError", ""), CameraProblem::Other("WeirdError".into()));
    }
}
