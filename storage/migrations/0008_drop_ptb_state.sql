-- 0008: PTB persistence is gone: every form keeps its draft in form_drafts (0007). The ptb_state table held the
-- older forms' drafts in user_data, which may include a NIK or phone number typed before consent was given
-- (UU 27/2022 allows keeping that only while the form is being filled in): drop it with everything in it.
DROP TABLE IF EXISTS ptb_state;
