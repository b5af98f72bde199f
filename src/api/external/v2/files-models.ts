// v2 response models of uploaded files (AutoGPT's WorkspaceFileInfo, UploadWorkspaceFileResponse) and the
// conversion from uploaded_files rows.
import { Type } from "@sinclair/typebox";
import { filePath, type StoredFile } from "../../../services/files.js";
import { DateTime } from "../../schemas.js";

const infoFields = {
  id: Type.String(),
  name: Type.String(),
  path: Type.String(),
  mime_type: Type.String(),
  size_bytes: Type.Integer({ description: "File size in bytes" }),
  created_at: DateTime,
  updated_at: DateTime,
};

export const WorkspaceFileInfo = Type.Object(infoFields, { title: "WorkspaceFileInfo" });

export const UploadWorkspaceFileResponse = Type.Object(
  {
    ...infoFields,
    file_uri: Type.String({ description: "URI to reference the uploaded file in agent file inputs" }),
  },
  { title: "UploadWorkspaceFileResponse" },
);

export function toFileInfo(row: StoredFile): typeof WorkspaceFileInfo.static {
  const at = row.createdAt.toISOString();
  return {
    id: row.id,
    name: row.name,
    path: filePath(row.name),
    mime_type: row.mimeType,
    size_bytes: row.sizeBytes,
    created_at: at,
    // Files are never modified in place (an overwrite is a new file), so they change when they are created.
    updated_at: at,
  };
}

export function toUploadResponse(row: StoredFile): typeof UploadWorkspaceFileResponse.static {
  return { ...toFileInfo(row), file_uri: `workspace://${row.id}#${row.mimeType}` };
}
